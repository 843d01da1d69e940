"""Simulated residents: the `Person` record, where a node's people are registered, their citizen
IDs, and the age-dependent traits (schooling, occupation, marital status) of a new person.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from exchange.core import regions
from exchange.core.identifiers import citizen_id_check_char
from exchange.core.regions import Level
from producers.vocab_people import (
    CITY_DISTRICTS_UNTIL,
    EDUCATION_MIDDLE,
    EDUCATION_OLD,
    EDUCATION_YOUNG,
    HIGHER_EDUCATION,
    MIDDLE_EDUCATION,
    OCCUPATIONS_HIGHER,
    OCCUPATIONS_LOWER,
    OCCUPATIONS_MIDDLE,
    OLD_CODE_SHARE,
    OLD_CODES,
    RETIRED,
    STUDENT,
)


@dataclass(frozen=True, slots=True)
class Person:
    """One resident as the population register (常住人口登记表) knows them."""

    citizen_id: str
    name: str
    female: bool
    birth: date
    region: str  # household registration (户籍地): a division of the table
    ethnicity: str
    birth_place: str
    native_place: str
    household_no: str
    address: str  # registered household address
    residence: str | None  # current residence, when it is not the household address
    phone: str | None
    marital: str
    education: str
    household_type: str
    relation: str  # to the head of household (GB/T 4761 name)
    head_id: str | None
    military: str | None
    occupation: str | None
    employer_uscc: str | None
    employer_name: str | None
    station: str  # police station keeping the register
    registered_at: date
    spouse_id: str | None = None
    marriage_no: str | None = None

    @property
    def sex(self) -> str:
        return "FEMALE" if self.female else "MALE"

    def age(self, on: date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


def home_regions(division: str) -> tuple[str, ...]:
    """Where the people of a node are registered.

    A county node: the county. A city: its counties; the two-level 东莞/中山: the city code.
    The province: every county and the two-level cities.
    """
    level = regions.level_of(division)
    if level is Level.COUNTY:
        return (division,)
    if level is Level.CITY:
        return tuple(d.code for d in regions.children(division)) or (division,)
    counties = tuple(d.code for d in regions.divisions() if d.level is Level.COUNTY)
    return counties + tuple(c.code for c in regions.cities() if not regions.children(c.code))


def old_code(region: str) -> tuple[str, int] | None:
    """(an address code that no longer exists but older IDs of `region` carry, the year it went).

    The counties merged or renamed since 1994 (OLD_CODES), and the old 市辖区 code (xx01) of a
    city whose counties the table does not list (but not 东莞/中山, which never had one).
    """
    if region in OLD_CODES:
        return OLD_CODES[region]
    if regions.level_of(region) is Level.CITY and not regions.is_two_level(region):
        return region[:4] + "01", CITY_DISTRICTS_UNTIL
    return None


class IdIssuer:
    """Issues citizen IDs that never repeat within one simulation while a day's sequences last.

    The sequences of one address code, birth date and sex (500 odd ones for men, 499 even ones
    for women, never 000) are handed out in a random start and a fixed stride coprime to their
    count, so every one is used once before any repeats. `free` tells how many are left, so a
    caller can move a birth to another day instead of exhausting one.
    """

    STRIDE = 7  # coprime to 500 and to 499

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._issued: dict[str, list[int]] = {}  # code + date + sex → [start, count]

    def issue(self, region: str, birth: date, female: bool) -> str:
        """An ID for someone registered in `region`; older people sometimes carry an old code."""
        old = old_code(region)
        if old is not None and birth.year < old[1] and self._rng.random() < OLD_CODE_SHARE:
            return self.issue_at(old[0], birth, female)
        return self.issue_at(region, birth, female)

    def issue_at(self, code: str, birth: date, female: bool) -> str:
        """An ID with exactly this address code (a repeat only once all the day's sequences are used)."""
        head = f"{code}{birth.year:04d}{birth.month:02d}{birth.day:02d}"
        size = 499 if female else 500
        state = self._issued.setdefault(head + "FM"[female], [self._rng.randrange(size), 0])
        index = (state[0] + state[1] * self.STRIDE) % size
        state[1] += 1
        first17 = f"{head}{2 * index + 2 if female else 2 * index + 1:03d}"
        return first17 + citizen_id_check_char(first17)

    def free(self, code: str, birth: date, female: bool) -> int:
        """How many IDs of this code, birth date and sex are still unused."""
        state = self._issued.get(f"{code}{birth.year:04d}{birth.month:02d}{birth.day:02d}" + "FM"[female])
        return (499 if female else 500) - (state[1] if state else 0)


def education_at(rng: random.Random, age: int) -> str:
    """Highest schooling: the school stage for children, a cohort-dependent draw for adults."""
    if age < 6:
        return "UNKNOWN"
    if age < 18:
        return "PRIMARY" if age < 12 else "JUNIOR_HIGH" if age < 15 or rng.random() < 0.3 else "HIGH_SCHOOL"
    table = EDUCATION_YOUNG if age <= 40 else EDUCATION_MIDDLE if age <= 60 else EDUCATION_OLD
    level = table.pick(rng)
    return "BACHELOR" if age < 25 and level in ("MASTER", "DOCTORATE") else level


def occupation_at(rng: random.Random, age: int, female: bool, education: str) -> str | None:
    """Occupation: none for infants, 学生 at school age, 离退休人员 mostly after retirement age."""
    if age < 6:
        return None
    if age < 18 or (age < 23 and education in HIGHER_EDUCATION | {"JUNIOR_COLLEGE"} and rng.random() < 0.6):
        return STUDENT
    if age >= (55 if female else 60):
        return RETIRED if rng.random() < 0.85 else OCCUPATIONS_LOWER.pick(rng)
    if education in HIGHER_EDUCATION:
        return OCCUPATIONS_HIGHER.pick(rng)
    return (OCCUPATIONS_MIDDLE if education in MIDDLE_EDUCATION else OCCUPATIONS_LOWER).pick(rng)


def rural_share(region: str) -> float:
    """The share of rural (农业) household registrations: high in 县, low in city districts."""
    found = regions.division(region)
    if found.level is Level.CITY:
        return 0.2
    return 0.55 if found.name.endswith("县") else 0.45 if found.name.endswith("市") else 0.12
