"""双公示 records: administrative_licence and administrative_penalty, as a deciding department
reports them to the credit platform. The deciding and reporting office is the same one: the
publishing department at the node's division.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from producers.enterprises import Enterprise
from producers.vocab_market import LicenceKind, PenaltyKind

Record = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Decision:
    """Who decided what, when: the document number and the office (name and USCC)."""

    document_no: str
    office: str
    office_uscc: str
    decided: date


def _counterpart(e: Enterprise) -> Record:
    return {
        "uscc": e.uscc, "counterpart_name": e.name,
        "counterpart_category": "INDIVIDUAL_BUSINESS" if e.type == "INDIVIDUAL_BUSINESS" else "LEGAL_PERSON",
        "legal_representative_name": e.rep.name, "legal_representative_citizen_id": e.rep.citizen_id,
    }  # fmt: skip


def administrative_licence(e: Enterprise, kind: LicenceKind, decision: Decision, licence_no: str | None,
                           valid_until: date, at: datetime) -> Record:
    """行政许可 (双公示) about entity `e`."""
    d = decision
    return {
        **_counterpart(e), "decision_document_name": kind.document, "decision_document_no": d.document_no,
        "licence_category": kind.category, "licence_certificate_name": kind.certificate, "licence_no": licence_no,
        "licence_content": kind.content, "decision_date": d.decided, "valid_from": d.decided,
        "valid_until": valid_until, "licensing_authority": d.office, "licensing_authority_uscc": d.office_uscc,
        "current_status": "VALID", "data_source_department": d.office, "data_source_department_uscc": d.office_uscc,
        "region": e.region, "remarks": None, "updated_at": at,
    }  # fmt: skip


@dataclass(frozen=True, slots=True)
class Sanction:
    """The amounts and dates of a penalty decision."""

    content: str
    fine_fen: int | None
    confiscated_fen: int | None
    valid_until: date
    publicity_until: date


def administrative_penalty(e: Enterprise, kind: PenaltyKind, decision: Decision, sanction: Sanction,
                           at: datetime) -> Record:
    """行政处罚 (双公示) against entity `e`."""
    d, s = decision, sanction
    return {
        **_counterpart(e), "decision_document_no": d.document_no, "violation_type": kind.violation,
        "violation_facts": f"经查，当事人{kind.facts}。", "violated_provision": kind.provision,
        "penalty_basis": kind.basis, "penalty_types": list(kind.types), "penalty_content": s.content,
        "fine_amount_fen": s.fine_fen, "confiscated_amount_fen": s.confiscated_fen,
        "suspended_or_revoked_licence": None, "decision_date": d.decided, "penalty_valid_until": s.valid_until,
        "publicity_deadline": s.publicity_until, "penalty_authority": d.office, "penalty_authority_uscc": d.office_uscc,
        "data_source_department": d.office, "data_source_department_uscc": d.office_uscc, "region": e.region,
        "remarks": None, "updated_at": at,
    }  # fmt: skip
