"""Hand-made records for tests that must not depend on the simulators."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from exchange.core.identifiers import make_citizen_id, make_uscc

NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def citizen_id(region: str = "440106", sequence: int = 123) -> str:
    return make_citizen_id(region, date(1950, 3, 2), sequence)


def death_certificate(region: str = "440106", *, person: str | None = None) -> dict[str, Any]:
    """A valid gov.health.DeathCertificate record (logical types as Python objects)."""
    return {
        "citizen_id": person or citizen_id(region), "certificate_no": "G440106-2026-000123", "name": "欧阳建国",
        "sex": "MALE", "ethnicity": "汉族", "birth_date": date(1950, 3, 2), "marital_status": "MARRIED",
        "occupation": "退休", "death_time": datetime(2026, 11, 20, 22, 30, tzinfo=UTC),
        "death_place_type": "HOSPITAL", "death_place": "广州市第一人民医院", "region": region,
        "household_address": "广东省广州市天河区天河路385号", "residence_address": None,
        "cause_of_death": "急性心肌梗死", "underlying_cause": "冠状动脉粥样硬化性心脏病", "icd10_code": "I21.9",
        "diagnosing_institution": "广州市第一人民医院", "diagnosis_basis": "CLINICAL", "informant_name": "欧阳明",
        "informant_phone": "13812345678", "issuing_institution": "广州市第一人民医院",
        "issued_at": datetime(2026, 11, 21, 7, 0, tzinfo=UTC), "updated_at": datetime(2026, 11, 21, 7, 0, tzinfo=UTC),
    }


def uscc(region: str = "440106") -> str:
    return make_uscc("9", "1", region, "MA5D2XH1X")
