"""Chains about market entities: enterprise (registration → licence → tax), enterprise_change,
enterprise_deregistration, and the 双公示 licence and penalty decisions of several departments.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from producers import places
from producers.clock import Moment, add_years
from producers.draft import Draft
from producers.enterprises import Enterprise
from producers.records_credit import Decision, Sanction, administrative_licence, administrative_penalty
from producers.records_market import (
    Amendment,
    Closure,
    business_licence,
    enterprise_change,
    enterprise_deregistration,
    enterprise_registration,
    tax_registration,
)
from producers.stage import Stage
from producers.vocab_market import (
    CHANGE_ITEMS,
    CHANGE_REASONS,
    DEREGISTRATION_REASONS,
    EXTRA_SCOPES,
    LICENCES,
    PENALTIES,
    PenaltyKind,
)

NO_FIXED_TERM = date(2099, 12, 31)
_CURRENCY_NAMES = {"CNY": "人民币", "HKD": "港元", "USD": "美元"}
_TYPE_NAMES = {"LLC_SOLE_NATURAL_PERSON": "有限责任公司（自然人独资）", "LLC": "有限责任公司（自然人投资或控股）"}


def enterprise(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """设立登记 (市场监管) → 营业执照 (市场监管) → 纳税人登记 (税务, 多证合一), one USCC key."""
    when = stage.moment(offset_s)
    rep = stage.people.aged(when.today, 25, 65)
    firm = stage.enterprises.maker.make(when.today, rep, stage.people.aged(when.today, 22, 50))
    stage.enterprises.register(firm)
    a1 = stage.step(0.0)
    a2 = stage.step(a1)
    return [
        stage.draft("enterprise_registration", department, enterprise_registration(firm, when.at)),
        stage.draft("business_licence", department, business_licence(firm, "VALID", when.after(a1)),
                    after_s=a1),
        stage.draft("tax_registration", "shuiwu", tax_registration(firm, "NORMAL", when.after(a2)), after_s=a2),
    ]


def enterprise_change_chain(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """变更登记 of an existing entity; a re-issued business licence when the item is printed on it."""
    when = stage.moment(offset_s)
    before = stage.enterprises.pick()
    item, after, old, new = _amend(stage, before, when)
    stage.enterprises.update(after)
    notice = f"（{places.abbreviation(after.region)}）登记内变字〔{when.today.year}〕第{stage.serial()}号"
    change = Amendment(stage.number("BG", when), item, old, new, CHANGE_REASONS[item], notice)
    drafts = [stage.draft("enterprise_change", department, enterprise_change(after, change, when.at))]
    if item != "OTHER":
        a1 = stage.step(0.0)
        licence = business_licence(after, "VALID", when.after(a1))
        drafts.append(stage.draft("business_licence", department, licence, action="updated", after_s=a1))
    return drafts


def _amend(stage: Stage, firm: Enterprise, when: Moment) -> tuple[str, Enterprise, str, str]:
    """(item, the entity after the change, value before, value after)."""
    rng, item = stage.rng, CHANGE_ITEMS.pick(stage.rng)
    if item == "CAPITAL" and firm.capital_fen is not None:
        capital = firm.capital_fen * rng.choice((2, 3, 5, 10))
        return item, _reissued(firm, when, capital_fen=capital), _money(firm, firm.capital_fen), _money(firm, capital)
    if item == "LEGAL_REPRESENTATIVE":
        rep = stage.people.aged(when.today, 25, 65)
        return item, _reissued(firm, when, rep=rep), firm.rep.name, rep.name
    if item == "NAME":
        name = stage.enterprises.maker.name_for(firm.type, firm.industry, firm.region)
        return item, _reissued(firm, when, name=name), firm.name, name
    if item == "TYPE" and firm.type == "LLC_SOLE_NATURAL_PERSON":
        return item, _reissued(firm, when, type="LLC"), _TYPE_NAMES[firm.type], _TYPE_NAMES["LLC"]
    if item == "ADDRESS":
        address = places.address(rng, firm.region, stage.names.road(rng))
        return item, _reissued(firm, when, address=address), firm.address, address
    if item in ("SCOPE", "CAPITAL", "TYPE"):
        scope = f"{firm.scope}；{EXTRA_SCOPES[rng.randrange(len(EXTRA_SCOPES))]}"
        return "SCOPE", _reissued(firm, when, scope=scope), firm.scope, scope
    liaison = stage.people.aged(when.today, 22, 50)
    return "OTHER", replace(firm, liaison_name=liaison.name), f"联络员：{firm.liaison_name}", f"联络员：{liaison.name}"


def _reissued(firm: Enterprise, when: Moment, **changes: Any) -> Enterprise:
    """The entity with `changes` and its licence re-issued today (a new version)."""
    return replace(firm, licence_version=firm.licence_version + 1, licence_issued=when.today, **changes)


def _money(firm: Enterprise, fen: int) -> str:
    return f"{fen // 1_000_000}万元{_CURRENCY_NAMES.get(firm.currency, firm.currency)}"


def enterprise_deregistration_chain(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """注销登记 → 营业执照废止 (市场监管) → 纳税人状态注销 (税务), one USCC key; the entity leaves the pool."""
    rng, when = stage.rng, stage.moment(offset_s)
    firm = stage.enterprises.pick()
    stage.enterprises.deregister(firm)
    simple = rng.random() < 0.6
    notice_end = when.days_ago(rng.randint(1, 10))
    notice_start = notice_end - timedelta(days=20 if simple else 45)
    closure = Closure(stage.number("ZX", when), "SIMPLE" if simple else "ORDINARY", DEREGISTRATION_REASONS.pick(rng),
                      None if simple else firm.rep.name, None if simple else notice_start - timedelta(days=5),
                      notice_start, notice_end,
                      f"（{places.abbreviation(firm.region)}）登记内销字〔{when.today.year}〕第{stage.serial()}号")
    a1 = stage.step(0.0)
    a2 = stage.step(a1)
    return [
        stage.draft("enterprise_deregistration", department, enterprise_deregistration(firm, closure, when.at)),
        stage.draft("business_licence", department, business_licence(firm, "ANNULLED", when.after(a1)),
                    action="updated", after_s=a1),
        stage.draft("tax_registration", "shuiwu", tax_registration(firm, "DEREGISTERED", when.after(a2)),
                    action="updated", after_s=a2),
    ]


def _decision(stage: Stage, department: str, kind: str, decided: date) -> Decision:
    """The decision document (穗天市监许〔2025〕1234号) and the deciding office at this node."""
    node = stage.division
    number = (f"{places.abbreviation(node)}{places.DOCUMENT_ABBREVIATIONS[department]}{kind}"
              f"〔{decided.year}〕{stage.serial()}号")
    return Decision(number, places.authority(department, node), places.department_uscc(department, node), decided)


def licence(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """行政许可 (双公示) decided by `department` at this node for an enterprise of the pool."""
    rng, when = stage.rng, stage.moment(offset_s)
    firm, kind = stage.enterprises.pick(), LICENCES[department].pick(rng)
    decision = _decision(stage, department, "许", when.days_ago(rng.randint(0, 5)))
    number = f"{kind.prefix}{firm.region}{stage.serial():07d}" if kind.certificate else None
    until = add_years(decision.decided, kind.years) if kind.years else NO_FIXED_TERM
    record = administrative_licence(firm, kind, decision, number, until, when.at)
    return [stage.draft("administrative_licence", department, record)]


def penalty(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """行政处罚 (双公示) decided by `department` at this node against an enterprise of the pool."""
    rng, when = stage.rng, stage.moment(offset_s)
    firm, kind = stage.enterprises.pick(), PENALTIES[department].pick(rng)
    decision = _decision(stage, department, "罚", when.days_ago(rng.randint(0, 6)))
    record = administrative_penalty(firm, kind, decision, _sanction(stage, kind, decision.decided), when.at)
    return [stage.draft("administrative_penalty", department, record)]


def _sanction(stage: Stage, kind: PenaltyKind, decided: date) -> Sanction:
    rng = stage.rng
    fine = rng.randint(*kind.fine_yuan) // 100 * 100 if kind.fine_yuan[1] else 0
    gains = rng.randint(10, 500) * 100 if kind.confiscation else 0
    parts = ["警告" if "WARNING" in kind.types else "", f"罚款人民币{fine}元" if fine else "",
             f"没收违法所得人民币{gains}元" if gains else ""]
    years = 3 if fine >= 100_000 else 1 if fine else 0
    publicity = add_years(decided, years) if years else decided + timedelta(days=90)
    return Sanction("，".join(p for p in parts if p), fine * 100 or None, gains * 100 or None,
                    decided + timedelta(days=15), publicity)
