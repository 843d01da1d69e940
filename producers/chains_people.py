"""Chains about people (一件事一次办): death, birth, disease, population_update, move, marriage,
social_insurance and medical_insurance. Each builder returns the root draft first, then its
follow-ups keyed so consumers can join them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from producers import places
from producers.chains_social import newborn_cover, newborn_enrolment
from producers.clock import HOUR_MS, Moment
from producers.draft import Draft
from producers.households import surname_of
from producers.names import mobile
from producers.people import Person, education_at, occupation_at
from producers.records_people import (
    Case,
    Change,
    Death,
    Delivery,
    birth_certificate,
    death_certificate,
    household_change,
    infectious_disease_report,
    population_basic,
)
from producers.stage import Stage
from producers.vocab_people import (
    CASE_CLASSES,
    CAUSES_OLD,
    CAUSES_YOUNG,
    DEATH_PLACES,
    DIAGNOSIS_ELSEWHERE,
    DIAGNOSIS_IN_HOSPITAL,
    DISEASE_GROUPS,
    DISEASES_ADULT,
    DISEASES_CHILD,
    EMPLOYED,
    MOVE_REASONS,
)

MARRIED = frozenset({"MARRIED"})


def _one(stage: Stage, names: tuple[str, ...]) -> str:
    return names[stage.rng.randrange(len(names))]


def death(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """死亡医学证明 (卫健), then 公安 cancels the registration under the same citizen ID."""
    when = stage.moment(offset_s)
    person = _deceased(stage, when)
    spouse = stage.people.get(person.spouse_id)
    facts = _death(stage, person, spouse, when)
    stage.people.bury(person, when.today)
    stage.enterprises.bereave(person.citizen_id)
    change = Change(stage.number("HK", when), "DEATH_CANCELLATION", "死亡", declarant=spouse,
                    death_certificate_no=facts.certificate_no, declarant_name=facts.informant_name)
    after = stage.step(0.0)
    return [stage.draft("death_certificate", department, death_certificate(person, facts, when.at)),
            stage.draft("household_change", "gongan", household_change(person, change, when.after(after)),
                        after_s=after)]


def _deceased(stage: Stage, when: Moment) -> Person:
    draw = stage.rng.random()
    low, high = (60, 100) if draw < 0.8 else (20, 59) if draw < 0.98 else (0, 19)
    return stage.people.aged(when.today, low, high)


def _death(stage: Stage, person: Person, spouse: Person | None, when: Moment) -> Death:
    rng, region = stage.rng, person.region
    place_type, hospital = DEATH_PLACES.pick(rng), _one(stage, places.hospitals(region))
    at_home = person.residence or person.address
    place = {"HOSPITAL": hospital, "HOME": at_home}.get(place_type, f"{places.place(region)}社会福利院")
    issuer = hospital if place_type == "HOSPITAL" else _one(stage, places.health_centres(region))
    basis = (DIAGNOSIS_IN_HOSPITAL if place_type == "HOSPITAL" else DIAGNOSIS_ELSEWHERE).pick(rng)
    cause = (CAUSES_YOUNG if person.age(when.today) < 45 else CAUSES_OLD).pick(rng)
    informant = spouse.name if spouse else stage.names.name(rng, rng.random() < 0.5, surname_of(person.name))
    phone = (spouse.phone if spouse else None) or mobile(rng)
    time = when.before_ms(rng.randrange(2 * HOUR_MS, 30 * HOUR_MS))
    return Death(stage.death_certificate_no(when), time, place_type, place, cause, hospital, basis, informant,
                 phone, issuer)


def birth(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """出生医学证明 (卫健) → 出生登记 (公安), 医保 and 人社 enrolments, all under the newborn's new ID."""
    rng, when = stage.rng, stage.moment(offset_s)
    married = MARRIED if rng.random() < 0.9 else None
    mother = stage.people.aged(when.today, 20, 45, female=True, marital=married)
    father = stage.people.get(mother.spouse_id)
    female = rng.random() < 0.47
    delivery = _delivery(stage, mother, female, when)
    baby = stage.people.maker.newborn(mother, father, delivery.birth_time.date(), female, when.today)
    declarant = father if father is not None and rng.random() < 0.5 else mother
    change = Change(stage.number("HK", when), "BIRTH_REGISTRATION", "出生", declarant=declarant,
                    birth_certificate_no=delivery.certificate_no)
    stage.people.welcome(baby)
    a1 = stage.step(0.0)
    a2 = stage.step(a1)
    a3 = stage.step(a2)
    return [
        stage.draft("birth_certificate", department, birth_certificate(baby, delivery, mother, father, when.at)),
        stage.draft("household_change", "gongan", household_change(baby, change, when.after(a1)), after_s=a1),
        stage.draft("medical_insurance_enrolment", "yibao", newborn_cover(stage, baby, mother, when, a2), after_s=a2),
        stage.draft("social_insurance_enrolment", "renshe", newborn_enrolment(stage, baby, mother, when, a3),
                    after_s=a3),
    ]


def _delivery(stage: Stage, mother: Person, female: bool, when: Moment) -> Delivery:
    """Birth 1–4 days before the certificate (issued on leaving hospital; at least a day, so the
    birth date in the ID is never after the exchange's local today, whatever its timezone);
    a day earlier while that day's IDs run short (a load test far above real birth rates then
    sees older babies, never repeated IDs)."""
    rng, issuer = stage.rng, stage.people.maker.issuer
    preterm = rng.random() < 0.06
    weeks = rng.randint(32, 36) if preterm else rng.randint(37, 41)
    weight = round(rng.gauss(2300, 400) if preterm else rng.gauss(3300, 420))
    length = round(rng.gauss(45, 2) if preterm else rng.gauss(50, 1.8))
    health = "良好" if rng.random() < 0.93 else "一般" if rng.random() < 0.85 else "差"
    time = when.before_ms(rng.randrange(24 * HOUR_MS, 96 * HOUR_MS))
    while issuer.free(mother.region, time.date(), female) < 50:
        time -= timedelta(days=1)
    return Delivery(stage.birth_certificate_no(), time, weeks, max(1200, min(weight, 4800)), max(40, min(length, 56)),
                    health, _one(stage, places.maternity_hospitals(mother.region)))


def disease(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """传染病报告卡 (not shared): a child or an adult with an age-typical notifiable disease."""
    rng, when = stage.rng, stage.moment(offset_s)
    child = rng.random() < 0.35
    patient = stage.people.aged(when.today, *((0, 14) if child else (15, 90)))
    onset = when.days_ago(rng.randint(1, 7))
    diagnosed = min(when.today, onset + timedelta(days=rng.randint(0, 3)))
    case = Case(stage.number("BK", when), (DISEASES_CHILD if child else DISEASES_ADULT).pick(rng),
                CASE_CLASSES.pick(rng), onset, diagnosed, _group(stage, patient, when),
                patient.phone or mobile(rng), _one(stage, places.hospitals(patient.region)),
                stage.names.name(rng, rng.random() < 0.55))
    return [stage.draft("infectious_disease_report", department, infectious_disease_report(patient, case, when.at))]


def _group(stage: Stage, person: Person, when: Moment) -> str:
    age = person.age(when.today)
    if age < 7:
        return "幼托儿童" if age >= 3 and stage.rng.random() < 0.6 else "散居儿童"
    return DISEASE_GROUPS.get(person.occupation or "", "学生" if age < 19 else "其他")


def population_update(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """人口基本信息 updated: a new phone, residence, schooling or occupation."""
    when = stage.moment(offset_s)
    person = _changed(stage, stage.people.anyone(), when)
    stage.people.update(person)
    return [stage.draft("population_basic", department, population_basic(person, when.at), action="updated")]


def _changed(stage: Stage, person: Person, when: Moment) -> Person:
    rng, age, draw = stage.rng, person.age(when.today), stage.rng.random()
    if draw < 0.35 and age >= 14:
        return replace(person, phone=mobile(rng))
    if draw < 0.6 or age < 6:
        return replace(person, residence=places.address(rng, stage.people.home(), stage.names.road(rng)))
    if age < 25:
        return replace(person, education=max(person.education, education_at(rng, age), key=_SCHOOLING.index))
    occupation = occupation_at(rng, age, person.female, person.education)
    employed = occupation in EMPLOYED
    return replace(person, occupation=occupation, employer_uscc=person.employer_uscc if employed else None,
                   employer_name=person.employer_name if employed else None)


_SCHOOLING = ("UNKNOWN", "ILLITERATE", "PRIMARY", "JUNIOR_HIGH", "HIGH_SCHOOL", "SECONDARY_VOCATIONAL",
              "JUNIOR_COLLEGE", "BACHELOR", "MASTER", "DOCTORATE")


def move(stage: Stage, department: str, offset_s: float) -> list[Draft]:
    """户口迁入 into the node: a resident moving house, or (two in five) a newcomer from elsewhere."""
    rng, when = stage.rng, stage.moment(offset_s)
    if rng.random() < 0.4:
        person = stage.people.succeed(stage.people.aged(when.today, 18, 45), when.today, migrant=True)
        origin = person.citizen_id[:6]
        person = replace(person, registered_at=when.today)
        stage.people.update(person)
    else:
        resident = stage.people.aged(when.today, 18, 85)
        home, origin = stage.people.maker.household(stage.people.home()), resident.region
        person = replace(resident, region=home.region, household_no=home.number, address=home.address,
                         residence=None, station=home.station, household_type=home.type, relation="户主",
                         head_id=resident.citizen_id, registered_at=when.today)
        stage.people.update(person)
    change = Change(stage.number("HK", when), "MOVE_IN", MOVE_REASONS.pick(rng), declarant=person,
                    from_region=origin, to_region=person.region)
    return [stage.draft("household_change", department, household_change(person, change, when.at))]
