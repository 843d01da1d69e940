"""Records about market entities: enterprise_registration, enterprise_change,
enterprise_deregistration (市场监管), business_licence (e-licence) and tax_registration (税务).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from producers import places
from producers.enterprises import Enterprise

Record = dict[str, Any]


def enterprise_registration(e: Enterprise, at: datetime) -> Record:
    """企业设立登记信息; entities without registered capital carry 0."""
    return {
        "uscc": e.uscc, "registration_no": e.registration_no, "enterprise_name": e.name, "enterprise_type": e.type,
        "legal_representative_name": e.rep.name, "legal_representative_citizen_id": e.rep.citizen_id,
        "registered_capital_fen": e.capital_fen or 0, "currency": e.currency, "established_date": e.established,
        "business_term_from": e.established, "business_term_to": e.term_to, "business_scope": e.scope,
        "industry_code": e.industry.code, "registered_address": e.address, "region": e.region,
        "registration_authority": e.authority, "approval_date": e.established, "status": "ACTIVE",
        "liaison_name": e.liaison_name, "liaison_phone": e.liaison_phone, "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Amendment:
    """One approved change of a registered item (变更登记)."""

    number: str
    item: str
    before: str
    after: str
    reason: str | None
    notice_no: str


def enterprise_change(e: Enterprise, change: Amendment, at: datetime) -> Record:
    """企业变更登记信息; `e` is the entity after the change."""
    return {
        "uscc": e.uscc, "change_no": change.number, "enterprise_name": e.name, "enterprise_type": e.type,
        "legal_representative_name": e.rep.name, "change_item": change.item, "before_value": change.before,
        "after_value": change.after, "change_reason": change.reason, "change_date": at.date(),
        "notice_no": change.notice_no, "registration_authority": e.authority, "region": e.region, "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Closure:
    """An approved deregistration (注销登记); the liquidation items only for the ordinary procedure."""

    number: str
    type: str  # SIMPLE | ORDINARY
    reason: str
    liquidation_leader: str | None
    liquidation_filed: date | None
    notice_start: date
    notice_end: date
    notice_no: str


def enterprise_deregistration(e: Enterprise, closure: Closure, at: datetime) -> Record:
    """企业注销登记信息, approved on the day of `at`."""
    c = closure
    return {
        "uscc": e.uscc, "deregistration_no": c.number, "enterprise_name": e.name, "enterprise_type": e.type,
        "legal_representative_name": e.rep.name, "deregistration_type": c.type, "reason": c.reason,
        "liquidation_leader_name": c.liquidation_leader, "liquidation_filed_date": c.liquidation_filed,
        "notice_start_date": c.notice_start, "notice_end_date": c.notice_end, "debts_settled": True,
        "approval_date": at.date(), "notice_no": c.notice_no, "registration_authority": e.authority,
        "region": e.region, "updated_at": at,
    }  # fmt: skip


def business_licence(e: Enterprise, status: str, at: datetime) -> Record:
    """营业执照电子证照 as last issued (status VALID, or ANNULLED on deregistration)."""
    return {
        "licence_serial_no": e.licence_serial, "uscc": e.uscc, "enterprise_name": e.name,
        "enterprise_type": e.type, "legal_representative_name": e.rep.name,
        "registered_capital_fen": e.capital_fen, "currency": None if e.capital_fen is None else e.currency,
        "established_date": e.established, "business_term_from": e.established, "business_term_to": e.term_to,
        "business_scope": e.scope, "registered_address": e.address, "issuing_authority": e.authority,
        "issued_date": e.licence_issued, "e_licence_id": e.e_licence_id, "licence_status": status, "region": e.region,
        "updated_at": at,
    }  # fmt: skip


def tax_registration(e: Enterprise, status: str, at: datetime) -> Record:
    """纳税人登记信息 (多证合一: confirmed on the day of establishment)."""
    return {
        "uscc": e.uscc, "taxpayer_name": e.name, "taxpayer_type": e.taxpayer_type,
        "general_vat_since": e.general_vat_since, "tax_authority": places.authority("shuiwu", e.region),
        "tax_authority_code": places.tax_authority_code(e.region), "registered_date": e.established,
        "legal_representative_name": e.rep.name, "legal_representative_citizen_id": e.rep.citizen_id,
        "finance_contact_name": e.finance_name, "finance_contact_phone": e.finance_phone,
        "accounting_method": "NON_INDEPENDENT" if e.type == "BRANCH" else "INDEPENDENT",
        "industry_code": e.industry.code, "business_address": e.address, "region": e.region, "status": status,
        "updated_at": at,
    }  # fmt: skip
