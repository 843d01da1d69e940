"""Making residents: whole households for a node's initial pool, single newcomers, and newborns.

A household shares its number, address, police station and type; a couple's `spouse_id`s point
at each other, children carry the father's surname, and an elderly parent may live with the
head. Faker is used only while the pool is built (for phone numbers); afterwards every draw is a
cheap rng pick from the name bank.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import date, timedelta

from faker import Faker

from exchange.core import regions
from producers import places
from producers.names import NameBank, mobile
from producers.people import IdIssuer, Person, education_at, occupation_at, rural_share
from producers.pick import Weighted
from producers.vocab_people import ETHNICITIES, LOCAL_ETHNICITIES, MILITARY_MEN, ORIGINS

HEAD_AGES = Weighted([((22, 29), 14.0), ((30, 39), 24.0), ((40, 49), 22.0), ((50, 59), 18.0), ((60, 69), 12.0),
                      ((70, 79), 7.0), ((80, 97), 3.0)])
CHILDREN = Weighted([(0, 15.0), (1, 40.0), (2, 35.0), (3, 10.0)])
COMPOUND_SURNAMES = ("欧阳", "司马", "诸葛", "上官", "司徒")
_NATIVE_ELSEWHERE = tuple(name[: name.index("市") + 1] for _, name in ORIGINS)


def surname_of(name: str) -> str:
    """The surname of a full name (two characters for the common compound surnames)."""
    return name[:2] if name[:2] in COMPOUND_SURNAMES else name[:1]


def marital_at(rng: random.Random, age: int) -> str:
    """Marital status of someone living without a spouse in the household."""
    if age < 22:
        return "UNMARRIED"
    draw = rng.random()
    if age < 35:
        return "UNMARRIED" if draw < 0.8 else "DIVORCED" if draw < 0.92 else "MARRIED"
    if age < 60:
        return "DIVORCED" if draw < 0.45 else "UNMARRIED" if draw < 0.75 else "MARRIED"
    return "WIDOWED" if draw < 0.75 else "DIVORCED" if draw < 0.9 else "MARRIED"


@dataclass(frozen=True, slots=True)
class Household:
    """What the members of one household share."""

    region: str
    number: str
    address: str
    station: str
    type: str
    ethnicity: str
    native_place: str


class PersonMaker:
    """Makes the residents of one node from an rng, a name bank and a reference day."""

    def __init__(self, rng: random.Random, names: NameBank, issuer: IdIssuer, today: date,
                 fake: Faker | None = None) -> None:
        self.rng, self.names, self.issuer, self.today = rng, names, issuer, today
        self.fake = fake  # used for phone numbers while set; None afterwards (cheap rng numbers)

    def household(self, region: str) -> Household:
        """A new household in `region`: number, address, police station, type, ethnicity, origin."""
        rng = self.rng
        ethnicity = LOCAL_ETHNICITIES.get(region, ETHNICITIES).pick(rng)
        native = (places.full_name(regions.city_of(region) or region) if rng.random() < 0.75
                  else _NATIVE_ELSEWHERE[rng.randrange(len(_NATIVE_ELSEWHERE))])
        stations = places.police_stations(region)
        return Household(region, f"{rng.randrange(10**8, 10**9)}", places.address(rng, region, self.names.road(rng)),
                         stations[rng.randrange(len(stations))], "RURAL" if rng.random() < rural_share(region)
                         else "URBAN", ethnicity, native)

    def family(self, region: str) -> list[Person]:
        """A household: a head, perhaps a spouse, children at home and an elderly parent."""
        rng, home = self.rng, self.household(region)
        low, high = HEAD_AGES.pick(rng)
        head_age, head_female = rng.randint(low, high), rng.random() < 0.3
        married = rng.random() < (0.2 if head_age < 25 else 0.6 if head_age < 30 else 0.82 if head_age < 70 else 0.6)
        marital = "MARRIED" if married else marital_at(rng, head_age)
        head = self.person(home, head_age, head_female, "户主", None, marital)
        members = [head]
        if married:
            gap = rng.randint(0, 5)
            spouse = self.person(home, max(20, head_age + (gap if head_female else -gap)), not head_female, "配偶",
                                 head.citizen_id, "MARRIED", spouse_id=head.citizen_id)
            members = [replace(head, spouse_id=spouse.citizen_id), spouse]
            members += self._children(home, head, spouse)
        if 35 <= head_age <= 60 and rng.random() < 0.2:
            female = rng.random() < 0.6
            members.append(self.person(home, min(99, head_age + rng.randint(24, 34)), female,
                                       "母亲" if female else "父亲", head.citizen_id, "WIDOWED"))
        return members

    def _children(self, home: Household, head: Person, spouse: Person) -> list[Person]:
        mother, father = (head, spouse) if head.female else (spouse, head)
        mother_age, surname = mother.age(self.today), surname_of(father.name)
        kids = []
        for _ in range(CHILDREN.pick(self.rng)):
            age = mother_age - self.rng.randint(22, 36)
            if 0 <= age <= 26:
                female = self.rng.random() < 0.47
                kids.append(self.person(home, age, female, "女" if female else "子", head.citizen_id,
                                        marital_at(self.rng, min(age, 21)), surname=surname))
        return kids

    def person(self, home: Household, age: int, female: bool, relation: str, head_id: str | None, marital: str,
               *, surname: str | None = None, spouse_id: str | None = None, id_code: str | None = None) -> Person:
        """One member of `home`; `head_id` None makes them the head (their own ID)."""
        rng = self.rng
        birth = self.today - timedelta(days=age * 365 + rng.randrange(1, 366) + age // 4)  # before today
        citizen_id = (self.issuer.issue_at(id_code, birth, female) if id_code
                      else self.issuer.issue(home.region, birth, female))
        education, name = education_at(rng, age), self.names.name(rng, female, surname, young=age < 20)
        return Person(
            citizen_id, name, female, birth, home.region, home.ethnicity,
            places.full_name(home.region) if id_code is None else self._origin_name(id_code), home.native_place,
            home.number, home.address, self._residence(home, age), self._phone(age), marital, education, home.type,
            relation, head_id or citizen_id, self._military(age, female), occupation_at(rng, age, female, education),
            None, None, home.station, self._registered(birth), spouse_id,
        )

    def newcomer(self, region: str, age: int, female: bool, *, marital: str | None = None,
                 migrant: bool = False) -> Person:
        """Someone not seen before, heading a household of their own; a migrant's ID keeps the
        address code of where they were born (outside the node)."""
        origin = ORIGINS[self.rng.randrange(len(ORIGINS))][0] if migrant else None
        return self.person(self.household(region), age, female, "户主", None, marital or marital_at(self.rng, age),
                           id_code=origin)

    def newborn(self, mother: Person, father: Person | None, birth: date, female: bool, registered: date) -> Person:
        """A baby registered in the mother's household; the father's surname when he is known."""
        citizen_id = self.issuer.issue_at(mother.region, birth, female)
        surname = surname_of(father.name if father and self.rng.random() < 0.92 else mother.name)
        relation = ("外孙女" if female else "外孙子") if mother.relation == "女" else "女" if female else "子"
        return Person(citizen_id, self.names.name(self.rng, female, surname, young=True), female, birth, mother.region,
                      mother.ethnicity, places.full_name(mother.region), mother.native_place, mother.household_no,
                      mother.address, None, None, "UNMARRIED", "UNKNOWN", mother.household_type, relation,
                      mother.head_id, None, None, None, None, mother.station, registered)

    @staticmethod
    def _origin_name(code: str) -> str:
        return next(name for origin, name in ORIGINS if origin == code)

    def _residence(self, home: Household, age: int) -> str | None:
        if age < 18 or self.rng.random() >= 0.25:
            return None
        return places.address(self.rng, home.region, self.names.road(self.rng))

    def _phone(self, age: int) -> str | None:
        if age < 14 or (age > 75 and self.rng.random() < 0.5):
            return None
        return self.fake.phone_number() if self.fake is not None else mobile(self.rng)

    def _military(self, age: int, female: bool) -> str | None:
        if age < 18:
            return None
        return "未服兵役" if female else MILITARY_MEN.pick(self.rng)

    def _registered(self, birth: date) -> date:
        days = (self.today - birth).days
        if days <= 60 or self.rng.random() < 0.5:
            return birth + timedelta(days=self.rng.randint(0, min(days, 45)))
        return birth + timedelta(days=self.rng.randrange(days))
