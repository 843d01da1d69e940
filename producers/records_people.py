"""Records about people, one builder per resource: population_basic, household_change,
birth_certificate, death_certificate, infectious_disease_report and marriage_registration.

Builders only map their arguments onto the schema's fields (every field present, dates as
`date`, times as aware `datetime`); the chains decide the values.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from producers.people import Person

Record = dict[str, Any]


def population_basic(person: Person, updated: datetime) -> Record:
    """人口基本信息 of `person` as the register holds it now."""
    p = person
    return {
        "citizen_id": p.citizen_id, "name": p.name, "former_names": None, "sex": p.sex, "ethnicity": p.ethnicity,
        "birth_date": p.birth, "birth_place": p.birth_place, "native_place": p.native_place, "region": p.region,
        "household_no": p.household_no, "household_address": p.address, "residence_address": p.residence,
        "phone": p.phone, "marital_status": p.marital, "education": p.education,
        "household_type": p.household_type, "relation_to_head": p.relation, "head_citizen_id": p.head_id,
        "military_service": p.military, "occupation": p.occupation, "employer_name": p.employer_name,
        "registration_authority": p.station, "registered_at": p.registered_at, "updated_at": updated,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Change:
    """What a household change is: its number, type, reason and the documents it links."""

    number: str
    type: str
    reason: str
    declarant: Person | None = None
    from_region: str | None = None
    to_region: str | None = None
    birth_certificate_no: str | None = None
    death_certificate_no: str | None = None
    declarant_name: str | None = None  # when the declarant is not a known resident


def household_change(person: Person, change: Change, at: datetime) -> Record:
    """户口迁移变动信息 recorded in `person`'s (new, or for cancellations old) registration."""
    p, c, d = person, change, change.declarant
    return {
        "citizen_id": p.citizen_id, "change_no": c.number, "change_type": c.type, "name": p.name, "sex": p.sex,
        "birth_date": p.birth, "from_region": c.from_region, "to_region": c.to_region, "region": p.region,
        "address": p.address, "household_no": p.household_no, "reason": c.reason,
        "birth_certificate_no": c.birth_certificate_no, "death_certificate_no": c.death_certificate_no,
        "declarant_name": d.name if d else c.declarant_name, "declarant_citizen_id": d.citizen_id if d else None,
        "handled_by": p.station, "changed_at": at, "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Delivery:
    """The medical facts of a birth (L4 items included)."""

    certificate_no: str
    birth_time: datetime
    weeks: int
    weight_g: int
    length_cm: int
    health: str
    institution: str


def birth_certificate(baby: Person, birth: Delivery, mother: Person, father: Person | None, at: datetime) -> Record:
    """出生医学证明, keyed by its number; region is the mother's household registration."""
    return {
        "certificate_no": birth.certificate_no, "newborn_name": baby.name, "sex": baby.sex,
        "birth_time": birth.birth_time, "gestational_weeks": birth.weeks, "weight_g": birth.weight_g,
        "length_cm": birth.length_cm, "health_status": birth.health, "birth_institution": birth.institution,
        "region": mother.region, "mother_name": mother.name, "mother_citizen_id": mother.citizen_id,
        "mother_ethnicity": mother.ethnicity, "mother_address": mother.residence or mother.address,
        "father_name": father.name if father else None, "father_citizen_id": father.citizen_id if father else None,
        "father_ethnicity": father.ethnicity if father else None, "issuing_institution": birth.institution,
        "issued_date": at.date(), "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Death:
    """The facts of a death as the certifying institution records them."""

    certificate_no: str
    time: datetime
    place_type: str
    place: str
    cause: tuple[str, str, str]  # direct cause, underlying cause, ICD-10
    diagnosed_by: str
    basis: str
    informant_name: str
    informant_phone: str
    issuer: str


def death_certificate(person: Person, death: Death, at: datetime) -> Record:
    """居民死亡医学证明（推断）书, keyed by the deceased's citizen ID."""
    p, d = person, death
    return {
        "citizen_id": p.citizen_id, "certificate_no": d.certificate_no, "name": p.name, "sex": p.sex,
        "ethnicity": p.ethnicity, "birth_date": p.birth, "marital_status": p.marital, "occupation": p.occupation,
        "death_time": d.time, "death_place_type": d.place_type, "death_place": d.place, "region": p.region,
        "household_address": p.address, "residence_address": p.residence, "cause_of_death": d.cause[0],
        "underlying_cause": d.cause[1], "icd10_code": d.cause[2], "diagnosing_institution": d.diagnosed_by,
        "diagnosis_basis": d.basis, "informant_name": d.informant_name, "informant_phone": d.informant_phone,
        "issuing_institution": d.issuer, "issued_at": at, "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Case:
    """One notifiable-disease case as the report card (传染病报告卡) records it."""

    card_no: str
    disease: tuple[str, str]  # name, class
    classification: str
    onset: date
    diagnosed: date
    group: str  # 人群分类
    phone: str | None
    institution: str
    doctor: str


def infectious_disease_report(person: Person, case: Case, at: datetime) -> Record:
    """传染病报告卡 (not shared: 不予共享)."""
    p, c = person, case
    return {
        "citizen_id": p.citizen_id, "report_card_no": c.card_no, "patient_name": p.name, "sex": p.sex,
        "birth_date": p.birth, "phone": c.phone, "occupation": c.group,
        "residence_address": p.residence or p.address, "region": p.region, "disease_name": c.disease[0],
        "disease_class": c.disease[1], "case_classification": c.classification, "onset_date": c.onset,
        "diagnosis_date": c.diagnosed, "death_date": None, "reporting_institution": c.institution,
        "reporting_doctor": c.doctor, "reported_at": at, "updated_at": at,
    }  # fmt: skip


def marriage_registration(number: str, kind: str, man: Person, woman: Person, office: tuple[str, str],
                          previous: str | None, at: datetime) -> Record:
    """婚姻登记 (marriage or divorce); `office` is (name, division) of the registry."""
    return {
        "certificate_no": number, "registration_type": kind, "male_name": man.name,
        "male_citizen_id": man.citizen_id, "male_birth_date": man.birth, "male_nationality": "中国",
        "male_household_region": man.region, "female_name": woman.name, "female_citizen_id": woman.citizen_id,
        "female_birth_date": woman.birth, "female_nationality": "中国", "female_household_region": woman.region,
        "registration_date": at.date(), "previous_certificate_no": previous, "registration_office": office[0],
        "region": office[1], "updated_at": at,
    }  # fmt: skip
