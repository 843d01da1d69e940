"""Insurance records: social_insurance_enrolment (人社) and medical_insurance_enrolment (医保).

`region` is the person's household registration; `insured_region` (参保地) is where they are
insured — the employer's division for employees.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from producers.enterprises import Enterprise
from producers.people import Person

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Enrolment:
    """One social-insurance enrolment (参保登记)."""

    record_no: str
    category: str  # EMPLOYEE | FLEXIBLE_EMPLOYMENT | URBAN_RURAL_RESIDENT
    employer: Enterprise | None
    types: tuple[str, ...]
    card_no: str | None
    base_fen: int
    first_enrolled: date | None
    enrolled: date
    insured_region: str
    agency: str


def social_insurance_enrolment(person: Person, enrolment: Enrolment, at: datetime) -> Record:
    """社会保险参保登记信息 of `person`, active from the enrolment date."""
    e, employer = enrolment, enrolment.employer
    return {
        "citizen_id": person.citizen_id, "record_no": e.record_no, "name": person.name, "sex": person.sex,
        "phone": person.phone, "region": person.region, "insured_region": e.insured_region,
        "insured_category": e.category, "employer_uscc": employer.uscc if employer else None,
        "employer_name": employer.name if employer else None, "insurance_types": list(e.types),
        "social_security_card_no": e.card_no, "contribution_base_fen": e.base_fen,
        "first_enrolled_date": e.first_enrolled, "enrolled_date": e.enrolled, "status": "ACTIVE",
        "handling_agency": e.agency, "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Cover:
    """One basic medical-insurance enrolment."""

    record_no: str
    scheme: str  # EMPLOYEE | URBAN_RURAL_RESIDENT
    employer: Enterprise | None
    guardian_id: str | None
    contribution_fen: int
    start: date
    insured_region: str
    certificate_no: str
    agency: str


def medical_insurance_enrolment(person: Person, cover: Cover, at: datetime) -> Record:
    """基本医疗保险参保登记信息 of `person`, active from the start date."""
    c, employer = cover, cover.employer
    return {
        "citizen_id": person.citizen_id, "record_no": c.record_no, "name": person.name, "sex": person.sex,
        "birth_date": person.birth, "region": person.region, "insured_region": c.insured_region,
        "scheme": c.scheme, "employer_uscc": employer.uscc if employer else None,
        "employer_name": employer.name if employer else None, "guardian_citizen_id": c.guardian_id,
        "contribution_fen": c.contribution_fen, "start_date": c.start, "end_date": None, "status": "ACTIVE",
        "medical_insurance_certificate_no": c.certificate_no, "handling_agency": c.agency, "updated_at": at,
    }  # fmt: skip
