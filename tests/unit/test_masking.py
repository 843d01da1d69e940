"""Masking policies, and the property that grants are never exceeded and masks never leak."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.core import masking
from exchange.core.directory import DirectoryEvent, Node
from exchange.core.testing import ExchangeDriver
from tests.support import NOW, citizen_id, death_certificate


@pytest.mark.parametrize(("policy", "value", "masked"), [
    ("id_keep_6_4", "440106195003021236", "440106********1236"),
    ("id_keep_6_4", "12345", "*****"),
    ("name_surname", "张三", "张*"),
    ("name_surname", "欧阳娜娜", "欧阳**"),
    ("name_surname", "欧阳", "欧*"),
    ("name_surname", "李", "*"),
    ("phone_last4", "13812345678", "*******5678"),
    ("phone_last4", "5678", "****"),
    ("address_district", "广东省广州市天河区天河路385号", "广东省广州市天河区***"),
    ("address_district", "广州市天河区天河路385号", "广州市天河区***"),
    ("address_district", "广东省东莞市南城街道莞太路111号", "广东省东莞市***"),
    ("address_district", "广东省广州市天河区", "广东省广州市***"),
    ("address_district", "天河路385号", "*******"),
    ("date_year", date(1990, 5, 1), "1990"),
    ("date_year", datetime(2025, 12, 31, 20, 0, tzinfo=UTC), "2026"),
])
def test_each_policy_keeps_only_what_it_names(policy: str, value: object, masked: str) -> None:
    assert masking.policy(policy).mask(value) == masked


def test_raw_avro_dates_and_timestamps_reduce_to_their_year() -> None:
    assert masking.year_of_days((date(1990, 5, 1) - date(1970, 1, 1)).days) == "1990"
    assert masking.year_of_millis(int(datetime(2025, 12, 31, 20, tzinfo=UTC).timestamp() * 1000)) == "2026"


def test_an_unknown_policy_names_the_known_ones() -> None:
    with pytest.raises(KeyError, match="name_surname"):
        masking.policy("blur")


@given(st.text(min_size=0, max_size=40).filter(lambda text: "*" not in text))
def test_string_policies_never_return_the_value_or_contain_it(value: str) -> None:
    for name in ("id_keep_6_4", "name_surname", "phone_last4", "address_district"):
        masked = masking.policy(name).mask(value)
        assert "*" in masked
        assert not value or value not in masked


# ── the exchange-level property: no delivery exceeds its grant, no mask leaks ────────────────

RECORD = death_certificate("440106")
FIELDS = list(RECORD)
STRING_POLICIES = ["id_keep_6_4", "name_surname", "phone_last4", "address_district"]
DATES = {"birth_date", "death_time", "issued_at", "updated_at"}


@st.composite
def grants(draw: st.DrawFn) -> tuple[list[str], dict[str, str]]:
    fields = draw(st.lists(st.sampled_from(FIELDS), unique=True, min_size=0, max_size=len(FIELDS)))
    fields = sorted(set(fields) | {"citizen_id", "region"})
    masked = draw(st.lists(st.sampled_from(fields), unique=True))
    masks = {}
    for name in masked:
        options = ["date_year", "drop"] if name in DATES else [*STRING_POLICIES, "drop"]
        if name not in ("citizen_id", "region") or draw(st.booleans()):
            masks[name] = draw(st.sampled_from(options))
    masks = {n: p for n, p in masks.items() if not (n == "citizen_id" and p == "drop")}
    return fields, masks


@pytest.fixture(scope="module")
def driver() -> ExchangeDriver:
    return ExchangeDriver(at=NOW)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grant=grants(), person=st.integers(min_value=1, max_value=998))
def test_no_delivery_exceeds_its_grant_and_no_mask_leaks(driver: ExchangeDriver,
                                                         grant: tuple[list[str], dict[str, str]], person: int) -> None:
    fields, masks = grant
    base = driver.view.grant("death-to-gongan@440106")
    held = driver.view.grants.get("property@440106")
    trial = replace(base, id="property@440106", fields=tuple(fields), masks=tuple(sorted(masks.items())),
                    consumer=Node("440106", "jiaoyu"), version=1 if held is None else held.version + 1)
    driver.apply(DirectoryEvent("grant.issued", NOW, trial))
    record = {**RECORD, "citizen_id": citizen_id("440106", person)}
    outcome = driver.pipe(driver.event("death_certificate", record))
    delivery = next(d for d in outcome.deliveries if d.route.grant == trial.id)
    _, received = driver.decode(delivery)
    allowed = {name for name in fields if masks.get(name) != "drop"}
    assert set(received) == allowed
    for name, policy in masks.items():
        if name in received and record[name] is not None:
            original = record[name].isoformat() if name in DATES else str(record[name])
            assert isinstance(received[name], str), (name, policy)
            assert received[name] != original and original not in received[name]
    if "citizen_id" in masks:
        assert record["citizen_id"].encode() not in delivery.value
        assert record["citizen_id"].encode() not in b"".join(v for _, v in delivery.headers)
    for name in allowed - set(masks):
        assert received[name] == record[name]
