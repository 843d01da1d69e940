"""Simulated market entities of one node: the `Enterprise` record, how one is made (name, type,
capital, scope, USCC, legal representative from the resident pool), and the pool chains draw on.

An enterprise is registered where the node's people live: at a county node the county, at a
city with listed counties one of them or (about one in six) the city itself, elsewhere the city;
the province node uses the same regions as its people.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date, timedelta

from exchange.core import identifiers, regions
from exchange.core.regions import Level
from producers import places
from producers.clock import add_years
from producers.names import NameBank, mobile
from producers.people import Person, home_regions
from producers.pick import Bag
from producers.vocab_market import ENTERPRISE_TYPES, FARMING, INDUSTRIES, NAME_SUFFIX, NO_CAPITAL, ORG_TYPE, Industry
from producers.vocab_people import EMPLOYED

CODE_UNIFICATION = date(2015, 10, 1)  # 三证合一: registrations before it also had a 15-digit number
# (low, high) registered capital in 万元, drawn log-uniformly
_CAPITAL_WAN = {"JOINT_STOCK": (1000, 50000), "FOREIGN_INVESTED": (100, 10000), "STATE_OWNED": (500, 10000),
                "COLLECTIVE": (50, 2000), "PARTNERSHIP": (100, 10000), "FARMERS_COOPERATIVE": (10, 200)}
_FOREIGN_CURRENCIES = ("HKD", "HKD", "USD", "CNY")


@dataclass(frozen=True, slots=True)
class Enterprise:
    """One registered market entity, with what its registration, licence and tax records share."""

    uscc: str
    name: str
    type: str
    industry: Industry
    scope: str
    rep: Person  # legal representative (法定代表人、负责人、经营者)
    capital_fen: int | None  # None for branches, individual businesses, sole proprietorships
    currency: str
    established: date
    term_to: date | None  # None = no fixed term (长期)
    address: str
    region: str
    liaison_name: str
    liaison_phone: str
    registration_no: str | None
    licence_serial: str
    licence_version: int
    licence_issued: date
    finance_name: str
    finance_phone: str
    taxpayer_type: str
    general_vat_since: date | None

    @property
    def authority(self) -> str:
        """The registration authority: market regulation at the entity's division."""
        return places.authority("scjg", self.region)

    @property
    def e_licence_id(self) -> str:
        """The e-licence identifier of the current licence version."""
        return f"YYZZ{self.region}{self.uscc}{self.licence_version:03d}"


def enterprise_regions(division: str) -> tuple[str, ...]:
    """Registration regions of a node's enterprises (the city code weighs about one in six at 广州/清远)."""
    homes = home_regions(division)
    if regions.level_of(division) is Level.CITY and homes != (division,):
        return homes + (division,) * max(1, len(homes) // 4)
    return homes


class EnterpriseMaker:
    """Makes enterprises for one node."""

    def __init__(self, rng: random.Random, names: NameBank, division: str) -> None:
        self.rng, self.names = rng, names
        self.regions = enterprise_regions(division)

    def make(self, established: date, rep: Person, liaison: Person) -> Enterprise:
        """A new entity established on `established`, with a fresh USCC of its registration region."""
        rng = self.rng
        region = self.regions[rng.randrange(len(self.regions))]
        kind = ENTERPRISE_TYPES.pick(rng)
        industry = FARMING if kind == "FARMERS_COOPERATIVE" else INDUSTRIES.pick(rng)
        capital = self._capital(kind)
        uscc = identifiers.random_uscc(rng, region, org_type=ORG_TYPE.get(kind, "1"))
        general = kind in ("JOINT_STOCK", "STATE_OWNED", "FOREIGN_INVESTED") or (capital or 0) >= 500 * 10_000 * 100
        return Enterprise(
            uscc, self.name_for(kind, industry, region), kind, industry, industry.scope, rep, capital,
            _FOREIGN_CURRENCIES[rng.randrange(4)] if kind == "FOREIGN_INVESTED" else "CNY", established,
            None if rng.random() < 0.75 else add_years(established, rng.choice((20, 30, 50))),
            places.address(rng, region, self.names.road(rng)), region, liaison.name, liaison.phone or mobile(rng),
            f"{region}{rng.randrange(10**8, 10**9)}" if established < CODE_UNIFICATION else None,
            f"S{rng.randrange(10**12, 10**13)}", 1, established, self.names.name(rng, rng.random() < 0.7), mobile(rng),
            "GENERAL_VAT" if general else "SMALL_SCALE",
            established + timedelta(days=rng.randint(30, 400)) if general else None,
        )

    def _capital(self, kind: str) -> int | None:
        if kind in NO_CAPITAL:
            return None
        low, high = _CAPITAL_WAN.get(kind, (10, 5000))
        wan = round(math.exp(math.log(low) + self.rng.random() * math.log(high / low)))
        return wan * 10_000 * 100

    def name_for(self, kind: str, industry: Industry, region: str) -> str:
        """A name for an entity of this type and industry registered in `region`."""
        city = regions.division(regions.city_of(region) or region).name
        core = self.names.firm_core(self.rng)
        if kind in ("SOLE_PROPRIETORSHIP", "INDIVIDUAL_BUSINESS", "FARMERS_COOPERATIVE", "COLLECTIVE"):
            return f"{places.place(region)}{core}{industry.word}{NAME_SUFFIX[kind]}"
        if kind == "BRANCH":
            parent = regions.cities()[self.rng.randrange(21)].name.removesuffix("市")
            return f"{parent}{core}{industry.word}有限公司{places.place(region).removeprefix(city) or city}分公司"
        if kind == "PARTNERSHIP":
            return f"{city.removesuffix('市')}{core}投资{NAME_SUFFIX[kind]}"
        return f"{city.removesuffix('市')}{core}{industry.word}{NAME_SUFFIX[kind]}"


class Enterprises:
    """The enterprises of a node that chains draw on: a bag by USCC of about `size` entities.

    New registrations join; a deregistered one leaves for good. The pool is kept between half
    and twice `size` by admitting existing (long-registered) entities or letting random ones out
    of view, without publishing anything for them.
    """

    def __init__(self, maker: EnterpriseMaker, people: Callable[[], Person], size: int, today: date) -> None:
        self.maker, self.people, self.size, self.today = maker, people, max(1, size), today
        self.bag: Bag[Enterprise] = Bag(lambda e: e.uscc)
        while len(self.bag) < self.size:
            self.bag.put(self.existing())

    def existing(self) -> Enterprise:
        """An entity registered between 1995 and yesterday."""
        days = (self.today - date(1995, 1, 1)).days
        founded = self.today - timedelta(days=self.maker.rng.randint(1, days))
        return self.maker.make(founded, self.people(), self.people())

    def pick(self) -> Enterprise:
        return self.bag.choice(self.maker.rng)

    def update(self, enterprise: Enterprise) -> None:
        self.bag.put(enterprise)

    def register(self, enterprise: Enterprise) -> None:
        """A new registration joins (a random entity leaves view when the pool is twice its size)."""
        self.bag.put(enterprise)
        if len(self.bag) > 2 * self.size:
            self.bag.discard(self.pick().uscc)

    def bereave(self, citizen_id: str) -> None:
        """Give the entities whose legal representative has died a new one (off screen), so the
        dead never reappear on later records."""
        for firm in self.bag:
            if firm.rep.citizen_id == citizen_id:
                self.bag.put(replace(firm, rep=self.people()))

    def deregister(self, enterprise: Enterprise) -> None:
        """A deregistered entity leaves for good (an existing one comes into view below half size)."""
        self.bag.discard(enterprise.uscc)
        if len(self.bag) < (self.size + 1) // 2:
            self.bag.put(self.existing())


def employer_for(rng: random.Random, person: Person, enterprises: Enterprises) -> tuple[str | None, str | None]:
    """(USCC, name) of where `person` works: a pool enterprise for company jobs, a school, hospital
    or government office (no USCC of a pool entity) for teachers, medical staff and civil servants."""
    occupation, region = person.occupation, person.region
    if occupation in EMPLOYED:
        firm = enterprises.pick()
        return firm.uscc, firm.name
    if occupation == "教师":
        return None, f"{places.place(region)}第{rng.randint(1, 12)}中学"
    if occupation in ("医生", "护士"):
        hospitals = places.hospitals(region)
        return None, hospitals[rng.randrange(len(hospitals))]
    if occupation == "公务员":
        return None, places.authority(("gongan", "shuiwu", "scjg", "renshe")[rng.randrange(4)], region)
    return None, None
