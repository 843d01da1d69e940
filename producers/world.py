"""`World`: the simulated people and enterprises of one node (a division), and the chains of
records their lives produce (一件事一次办), ready for a publisher.

A chain is a list of `Draft`s, root first, whose keys line up so consumers can join them: a
death certificate and the police's cancellation share the deceased's citizen ID; a birth
certificate is followed by the newborn's registration, medical and social insurance under the
newborn's new ID; an enterprise registration by its licence and tax registration under its USCC.

Chain kinds per originating department, with their weights:

| department | kinds (weight) | follow-ups by |
|---|---|---|
| weijian  | birth 45, death 40, disease 15 | birth: gongan, yibao, renshe; death: gongan |
| gongan   | population_update 70, move 30 | |
| scjg     | enterprise 30, enterprise_change 25, | enterprise, deregistration: scjg (licence), shuiwu |
|          | enterprise_deregistration 10,        | (tax); change: scjg (licence re-issued unless the |
|          | licence 25, penalty 10               | item is not on the licence) |
| shuiwu   | penalty 100 | |
| zrzy, jiaotong | licence 60, penalty 40 | |
| renshe   | social_insurance 100 | |
| yibao    | medical_insurance 100 | |
| minzheng | marriage 100 (one in five a divorce, when a married couple is in the pool) | |

xinyong, jiaoyu and zsj only consume. A kind is offered at a node only when its originating
department and every follow-up department exist at the node's level (departments.toml); with
today's catalogue every department but xinyong exists at all three levels, so every node offers
every kind. Follow-ups are never published from another node.

Determinism: one `random.Random(seed)` drives everything and faker (`zh_CN`, seeded with
`seed_instance(seed)`) is used only while the pools are built; record times derive from
`clock_origin + offset_s`, never the wall clock. Two Worlds built with the same arguments give
equal chains for the same sequence of calls. Citizen IDs of newborns carry the simulated birth
date, so a `clock_origin` later than the real today makes IDs the exchange rejects ("date").
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from faker import Faker

from exchange.core import regions
from exchange.core.catalogue import Catalogue
from producers import chains_market, chains_people, chains_social
from producers.clock import moment
from producers.draft import Draft
from producers.enterprises import EnterpriseMaker, Enterprises, employer_for
from producers.households import PersonMaker
from producers.names import NameBank
from producers.people import IdIssuer, Person
from producers.pick import Weighted
from producers.population import Population
from producers.stage import Stage

__all__ = ["KINDS", "ORIGINATORS", "Draft", "Kind", "World", "offered_kinds", "originating_departments"]

Builder = Callable[[Stage, str, float], list[Draft]]


@dataclass(frozen=True)
class Kind:
    """A chain kind: its builder and the departments that publish its follow-ups."""

    build: Builder
    follow_ups: tuple[str, ...] = ()


KINDS: dict[str, Kind] = {
    "birth": Kind(chains_people.birth, ("gongan", "yibao", "renshe")),
    "death": Kind(chains_people.death, ("gongan",)),
    "disease": Kind(chains_people.disease),
    "population_update": Kind(chains_people.population_update),
    "move": Kind(chains_people.move),
    "enterprise": Kind(chains_market.enterprise, ("shuiwu",)),
    "enterprise_change": Kind(chains_market.enterprise_change_chain),
    "enterprise_deregistration": Kind(chains_market.enterprise_deregistration_chain, ("shuiwu",)),
    "licence": Kind(chains_market.licence),
    "penalty": Kind(chains_market.penalty),
    "social_insurance": Kind(chains_social.social_insurance),
    "medical_insurance": Kind(chains_social.medical_insurance),
    "marriage": Kind(chains_social.marriage),
}
ORIGINATORS: dict[str, tuple[tuple[str, float], ...]] = {
    "weijian": (("birth", 45.0), ("death", 40.0), ("disease", 15.0)),
    "gongan": (("population_update", 70.0), ("move", 30.0)),
    "scjg": (("enterprise", 30.0), ("enterprise_change", 25.0), ("enterprise_deregistration", 10.0),
             ("licence", 25.0), ("penalty", 10.0)),
    "shuiwu": (("penalty", 100.0),),
    "zrzy": (("licence", 60.0), ("penalty", 40.0)),
    "jiaotong": (("licence", 60.0), ("penalty", 40.0)),
    "renshe": (("social_insurance", 100.0),),
    "yibao": (("medical_insurance", 100.0),),
    "minzheng": (("marriage", 100.0),),
}


def offered_kinds(division: str, catalogue: Catalogue) -> dict[str, tuple[tuple[str, float], ...]]:
    """Per department present at `division`'s level, the chain kinds it can originate there."""
    level = regions.level_of(division)
    present = {code for code, d in catalogue.departments.items() if level in d.levels}
    return {department: tuple((kind, w) for kind, w in kinds if present.issuperset(KINDS[kind].follow_ups))
            for department, kinds in ORIGINATORS.items() if department in present}


def originating_departments(division: str, catalogue: Catalogue) -> tuple[str, ...]:
    """The departments that originate chains at `division` (no pools are built)."""
    return tuple(department for department, kinds in offered_kinds(division, catalogue).items() if kinds)


class World:
    """The simulated people and enterprises of one node, and the events their lives produce."""

    def __init__(self, division: str, catalogue: Catalogue, *, seed: int, clock_origin: datetime,
                 pool_size: int = 300) -> None:
        if clock_origin.tzinfo is None:
            raise ValueError("clock_origin must be timezone-aware")
        if pool_size < 10:
            raise ValueError(f"pool_size {pool_size} is too small; give at least 10")
        self.division = division
        self._kinds = offered_kinds(division, catalogue)  # UnknownDivisionError for a code outside the table
        self._stage = _populate(division, catalogue, seed, clock_origin, pool_size)
        self._weights = {department: Weighted(kinds) for department, kinds in self._kinds.items() if kinds}

    def departments(self) -> tuple[str, ...]:
        """The departments at this node that originate chains."""
        return tuple(self._weights)

    def chain_kinds(self, department: str) -> tuple[str, ...]:
        """The chain kinds `department` originates here (empty for consumers such as xinyong)."""
        return tuple(kind for kind, _ in self._kinds.get(department, ()))

    def chain(self, department: str, offset_s: float) -> list[Draft]:
        """One chain of `department`, its kind drawn by weight; root first; times from origin + offset."""
        weights = self._weights.get(department)
        if weights is None:
            raise ValueError(f"{department!r} originates no chains at {self.division}")
        return KINDS[weights.pick(self._stage.rng)].build(self._stage, department, offset_s)

    def chain_of(self, kind: str, offset_s: float, *, department: str | None = None) -> list[Draft]:
        """One chain of an explicit kind, by `department` (default: the first department here that
        originates it — e.g. scjg for licence, scjg for penalty)."""
        department = department or next((d for d in self.departments() if kind in self.chain_kinds(d)), None)
        if department is None or kind not in self.chain_kinds(department):
            raise ValueError(f"no department {'' if department is None else department + ' '}originates "
                             f"{kind!r} chains at {self.division}")
        return KINDS[kind].build(self._stage, department, offset_s)

    def residents(self) -> tuple[Person, ...]:
        """The living residents currently in the pool (for inspection and tests)."""
        return tuple(self._stage.people.people)


def _populate(division: str, catalogue: Catalogue, seed: int, origin: datetime, size: int) -> Stage:
    """Build the pools: faker fills the name bank and the residents' phones, then is dropped."""
    rng = random.Random(seed)  # noqa: S311 - a reproducible simulation, not secrets
    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    names, today = NameBank(fake), moment(origin, 0.0).today
    maker = PersonMaker(rng, names, IdIssuer(rng), today, fake)
    people = Population(maker, division, size)
    enterprises = Enterprises(EnterpriseMaker(rng, names, division), lambda: people.aged(today, 25, 65),
                              size // 5, today)
    _employ(people, enterprises)
    maker.fake = None  # from here on, phone numbers come from the rng
    return Stage(division, catalogue.resources, names, people, enterprises, origin)


def _employ(people: Population, enterprises: Enterprises) -> None:
    """Give the employed residents their workplaces (the enterprises exist only after the people)."""
    for person in people.people:
        uscc, name = employer_for(people.rng, person, enterprises)
        if name is not None:
            people.update(replace(person, employer_uscc=uscc, employer_name=name))
