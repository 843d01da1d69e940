"""Chains of 人社, 医保 and 民政: social_insurance, medical_insurance and marriage (or divorce),
plus the newborn enrolments the birth chain ends with.
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import datetime

from producers import places
from producers.clock import Moment, add_years
from producers.draft import Draft
from producers.people import Person
from producers.records_people import marriage_registration
from producers.records_social import Cover, Enrolment, medical_insurance_enrolment, social_insurance_enrolment
from producers.stage import Stage

ALL_BRANCHES = ("PENSION", "MEDICAL", "UNEMPLOYMENT", "WORK_INJURY", "MATERNITY")
UNMARRIED = frozenset({"UNMARRIED", "DIVORCED", "WIDOWED"})
RESIDENT_CONTRIBUTIONS_FEN = (38_000, 40_000)  # annual personal contribution of a resident (元 380–400)
# Guangdong's monthly contribution base (元): the floor, and a plausible top for the simulation.
BASE_FLOOR, BASE_TOP = 5_284, 30_000


def card_no(rng: random.Random) -> str:
    """A 9-character social-security card number: a letter and 8 digits."""
    return f"{'ABCDEFGH'[rng.randrange(8)]}{rng.randrange(10**8):08d}"


def newborn_cover(stage: Stage, baby: Person, mother: Person, when: Moment, after_s: float) -> dict[str, object]:
    """城乡居民医保 for a newborn, the mother as guardian."""
    rng = stage.rng
    cover = Cover(stage.number("YB", when), "URBAN_RURAL_RESIDENT", None, mother.citizen_id,
                  RESIDENT_CONTRIBUTIONS_FEN[rng.randrange(2)], when.today, baby.region,
                  f"E{baby.region}{rng.randrange(10**11):011d}", places.medical_insurance_agency(baby.region))
    return medical_insurance_enrolment(baby, cover, when.after(after_s))


def newborn_enrolment(stage: Stage, baby: Person, mother: Person, when: Moment, after_s: float) -> dict[str, object]:
    """A social-security card for a newborn: resident category, no employer, no branches yet."""
    enrolment = Enrolment(stage.number("SB", when), "URBAN_RURAL_RESIDENT", None, (), card_no(stage.rng), 0,
                          when.today, when.today, baby.region, places.social_insurance_agency(baby.region))
    return social_insurance_enrolment(replace(baby, phone=mother.phone), enrolment, when.after(after_s))


def social_insurance(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """参保登记 of a working-age resident: an employee of a pool enterprise, or flexibly employed."""
    rng, when = stage.rng, stage.moment(offset_s)
    person = stage.people.aged(when.today, 18, 59)
    employer = stage.enterprises.pick() if rng.random() < 0.75 else None
    if employer is not None:
        person = replace(person, employer_uscc=employer.uscc, employer_name=employer.name)
        stage.people.update(person)
    base = rng.randint(BASE_FLOOR, BASE_TOP) if employer else rng.choice((BASE_FLOOR, 6_000, 8_000, 10_000))
    first = add_years(person.birth, rng.randint(18, max(18, min(person.age(when.today), 30))))
    region = employer.region if employer else person.region
    enrolment = Enrolment(stage.number("SB", when), "EMPLOYEE" if employer else "FLEXIBLE_EMPLOYMENT", employer,
                          ALL_BRANCHES if employer else ALL_BRANCHES[:2], card_no(rng), base * 100,
                          min(first, when.today), when.today, region, places.social_insurance_agency(region))
    return [stage.draft("social_insurance_enrolment", department,
                        social_insurance_enrolment(person, enrolment, when.at))]


def medical_insurance(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """基本医保参保: employees through their employer, everyone else as a resident (minors with a guardian)."""
    rng, when = stage.rng, stage.moment(offset_s)
    person = stage.people.anyone()
    age = person.age(when.today)
    employed = 18 <= age < 60 and rng.random() < 0.6
    employer = (stage.enterprises.bag.get(person.employer_uscc or "") or stage.enterprises.pick()) if employed else None
    region = employer.region if employer else person.region
    guardian = person.head_id if age < 18 and person.head_id != person.citizen_id else None
    contribution = rng.randint(BASE_FLOOR, BASE_TOP) * 100 if employer else RESIDENT_CONTRIBUTIONS_FEN[rng.randrange(2)]
    cover = Cover(stage.number("YB", when), "EMPLOYEE" if employer else "URBAN_RURAL_RESIDENT", employer, guardian,
                  contribution, when.today, region, f"E{person.region}{rng.randrange(10**11):011d}",
                  places.medical_insurance_agency(region))
    return [stage.draft("medical_insurance_enrolment", department, medical_insurance_enrolment(person, cover, when.at))]


def marriage(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """婚姻登记 at the registry of one party's household region: mostly marriages, some divorces."""
    when = stage.moment(offset_s)
    couple = _married_couple(stage) if stage.rng.random() < 0.2 else None
    if couple is not None:
        return [_divorce(stage, department, couple, when)]
    woman = stage.people.aged(when.today, 21, 40, female=True, marital=UNMARRIED)
    age = woman.age(when.today)
    man = stage.people.aged(when.today, max(22, age - 3), age + 8, female=False, marital=UNMARRIED)
    region = (man if stage.rng.random() < 0.5 else woman).region
    number = _certificate("J", stage, region, when.at)
    stage.people.update(replace(man, marital="MARRIED", spouse_id=woman.citizen_id, marriage_no=number))
    stage.people.update(replace(woman, marital="MARRIED", spouse_id=man.citizen_id, marriage_no=number))
    record = marriage_registration(number, "MARRIAGE", man, woman, (places.marriage_office(region), region), None,
                                   when.at)
    return [stage.draft("marriage_registration", department, record)]


def _married_couple(stage: Stage) -> tuple[Person, Person] | None:
    people = stage.people
    husband = people.find(lambda p: not p.female and p.marital == "MARRIED" and p.spouse_id in people.people,
                          scan=False)
    wife = people.get(husband.spouse_id) if husband else None
    return (husband, wife) if husband and wife else None


def _divorce(stage: Stage, department: str, couple: tuple[Person, Person], when: Moment) -> Draft:
    man, woman = couple
    region = (man if stage.rng.random() < 0.5 else woman).region
    number = _certificate("L", stage, region, when.at)
    for person in couple:
        stage.people.update(replace(person, marital="DIVORCED", spouse_id=None, marriage_no=None))
    record = marriage_registration(number, "DIVORCE", man, woman, (places.marriage_office(region), region),
                                   man.marriage_no, when.at)
    return stage.draft("marriage_registration", department, record)


def _certificate(kind: str, stage: Stage, region: str, at: datetime) -> str:
    """J (marriage) or L (divorce), the registry's division, the year, the node and a serial."""
    return f"{kind}{region}-{at.year}-{stage.node}{stage.serial():04d}"
