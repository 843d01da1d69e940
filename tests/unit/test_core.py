"""The exchange core through the in-memory driver: every decision, skip reason and dead letter."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

import pytest

from exchange.core.codec import PREFIX_SIZE
from exchange.core.decide import Outcome
from exchange.core.directory import DirectoryEvent, GrantOrigin, Node
from exchange.core.message import Message
from exchange.core.regions import RegionScope
from exchange.core.rules import compile_resource
from exchange.core.testing import ExchangeDriver
from exchange.core.topics import Topics
from exchange.errors import DirectoryError
from tests.support import NOW, citizen_id, death_certificate

EDUCATION = Node("440106", "jiaoyu")
MEDICAL = {"cause_of_death", "underlying_cause", "icd10_code", "diagnosis_basis"}


@pytest.fixture(scope="module")
def driver() -> ExchangeDriver:
    return ExchangeDriver(at=NOW)


def deliveries_to(outcome: Outcome, department: str) -> dict[Node, object]:
    return {d.route.consumer: d for d in outcome.deliveries if d.route.consumer.department == department}


def test_a_death_reaches_the_police_of_its_county_and_city_without_medical_fields(driver: ExchangeDriver) -> None:
    record = death_certificate("440106")
    outcome = driver.pipe(driver.event("death_certificate", record))
    police = deliveries_to(outcome, "gongan")
    assert set(police) == {Node("440106", "gongan"), Node("440100", "gongan")}
    for delivery in outcome.deliveries:
        if delivery.route.consumer.department == "gongan":
            schema, received = driver.decode(delivery)
            assert schema.id != driver.schema("death_certificate").id
            assert MEDICAL.isdisjoint(received)
            assert received["citizen_id"] == record["citizen_id"]
            assert received["death_time"] == record["death_time"]


def test_no_consumer_ever_receives_the_cause_of_death(driver: ExchangeDriver) -> None:
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("441802")))
    assert outcome.deliveries
    for delivery in outcome.deliveries:
        assert MEDICAL.isdisjoint(driver.decode(delivery)[1])


def test_an_event_outside_a_grants_region_is_skipped_as_out_of_scope(driver: ExchangeDriver) -> None:
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("441802")))
    police = deliveries_to(outcome, "gongan")
    assert set(police) == {Node("441802", "gongan"), Node("441800", "gongan")}
    routes = driver.rules.get("death_certificate")
    assert routes is not None
    assert outcome.skips["out_of_scope"] == len(routes.routes) - len(outcome.deliveries)


def test_a_full_grant_forwards_the_original_bytes(driver: ExchangeDriver) -> None:
    resource = driver.view.resource("enterprise_registration")
    grant = next(g for g in driver.view.grants_on(resource.id) if g.fields == ("*",) and not g.masks)
    event = _enterprise_event(driver, grant.consumer.division)
    outcome = driver.pipe(event)
    full = [d for d in outcome.deliveries if d.route.grant == grant.id]
    assert len(full) == 1
    assert full[0].value is event.value
    assert full[0].route.decision == "full"


def test_consumers_sharing_a_view_share_one_encoding(driver: ExchangeDriver) -> None:
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("440106")))
    county, city = (deliveries_to(outcome, "gongan")[Node(d, "gongan")] for d in ("440106", "440100"))
    assert county.value is city.value  # type: ignore[attr-defined]


def test_deliveries_carry_the_event_headers_and_the_grant(driver: ExchangeDriver) -> None:
    event = driver.event("death_certificate", death_certificate("440106"))
    outcome = driver.pipe(event)
    for delivery in outcome.deliveries:
        headers = dict(delivery.headers)
        assert headers["ce_id"] == dict(event.headers)["ce_id"]
        assert headers["govx_grant"] == delivery.route.grant.encode()
        assert headers["govx_consumer"] == delivery.route.consumer.id.encode()
        assert delivery.key == event.key


def test_a_masked_subject_masks_the_key_and_ce_subject_too(driver: ExchangeDriver) -> None:
    grant = driver.view.grant("death-to-gongan@440106")
    masked = replace(grant, id="masked-subject@440106", masks=(("citizen_id", "id_keep_6_4"),), consumer=EDUCATION)
    driver.apply(DirectoryEvent("grant.issued", NOW, masked))
    try:
        record = death_certificate("440106")
        outcome = driver.pipe(driver.event("death_certificate", record))
        delivery = next(d for d in outcome.deliveries if d.route.grant == masked.id)
        raw = record["citizen_id"]
        assert delivery.key == f"{raw[:6]}********{raw[-4:]}".encode()
        assert dict(delivery.headers)["ce_subject"] == delivery.key
        assert raw.encode() not in delivery.value
    finally:
        driver.apply(DirectoryEvent("grant.revoked", NOW, masked.revoke(NOW, "test over")))


@pytest.mark.parametrize(("shift", "reason"), [(timedelta(days=-3650), "not_yet_valid"),
                                              (timedelta(days=3650), "expired")])
def test_grants_deliver_only_inside_their_validity_window(driver: ExchangeDriver, shift: timedelta,
                                                          reason: str) -> None:
    event = driver.event("death_certificate", death_certificate("440106"))
    outcome = driver.pipe(event, at=NOW + shift)
    assert outcome.deliveries == []
    assert outcome.skips[reason] > 0


def test_a_not_shared_resource_never_delivers_even_with_a_grant(driver: ExchangeDriver) -> None:
    grant = replace(driver.view.grant("death-to-gongan@440106"), id="forced@440106",
                    resource="infectious_disease_report", fields=("*",))
    driver.apply(DirectoryEvent("grant.issued", NOW, grant))
    resource = driver.view.resource("infectious_disease_report")
    record = _disease_record(driver, "440106")
    outcome = driver.pipe(driver.event(resource.id, record))
    assert outcome.deliveries == [] and outcome.dead_letter is None
    assert outcome.skips == {"not_shared": 1}


def test_a_subscription_does_not_open_a_conditional_resource(driver: ExchangeDriver) -> None:
    base = driver.view.grant("death-to-gongan@440106")
    subscription = replace(base, id="sub@440106", origin=GrantOrigin.SUBSCRIPTION, consumer=Node("440106", "jiaoyu"))
    driver.apply(DirectoryEvent("grant.issued", NOW, subscription))
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("440106")))
    assert Node("440106", "jiaoyu") not in {d.route.consumer for d in outcome.deliveries}
    assert outcome.skips["not_approved"] == 1


def test_a_grant_naming_an_unknown_field_is_refused_by_the_view_and_skipped_by_the_compiler(
        driver: ExchangeDriver) -> None:
    broken = replace(driver.view.grant("death-to-gongan@440106"), id="broken@440106",
                     consumer=EDUCATION, fields=("citizen_id", "region", "shoe_size"))
    with pytest.raises(DirectoryError, match="shoe_size"):
        driver.apply(DirectoryEvent("grant.issued", NOW, broken))
    assert "broken@440106" not in driver.view.grants
    resource = driver.view.resource("death_certificate")
    rules = compile_resource(resource, [*driver.view.grants_on(resource.id), broken], driver.registry, Topics())
    assert dict(rules.skips)["grant_invalid"] == 1 and rules.routes


def test_a_revoked_grant_stops_deliveries(driver: ExchangeDriver) -> None:
    grant = replace(driver.view.grant("death-to-gongan@440106"), id="revocable@440106", scope=RegionScope.OWN,
                    consumer=Node("440106", "jiaotong"))
    driver.apply(DirectoryEvent("grant.issued", NOW, grant))
    before = driver.pipe(driver.event("death_certificate", death_certificate("440106")))
    driver.apply(DirectoryEvent("grant.revoked", NOW, grant.revoke(NOW, "purpose fulfilled")))
    after = driver.pipe(driver.event("death_certificate", death_certificate("440106")))
    assert grant.id in {d.route.grant for d in before.deliveries}
    assert grant.id not in {d.route.grant for d in after.deliveries}


def test_a_not_shared_resource_without_grants_is_skipped_as_not_shared(driver: ExchangeDriver) -> None:
    local = ExchangeDriver(at=NOW)
    assert not local.view.grants_on("infectious_disease_report")
    outcome = local.pipe(local.event("infectious_disease_report", _disease_record(local, "440106")))
    assert outcome.skips == {"not_shared": 1} and outcome.deliveries == []


def test_an_event_of_a_resource_without_grants_is_skipped_once(driver: ExchangeDriver) -> None:
    local = ExchangeDriver(at=NOW)
    for grant in local.view.grants_on("death_certificate"):
        local.apply(DirectoryEvent("grant.revoked", NOW, grant.revoke(NOW, "test")))
    outcome = local.pipe(local.event("death_certificate", death_certificate("440106")))
    assert outcome.skips == {"no_grant": 1} and outcome.deliveries == []


def _enterprise_event(driver: ExchangeDriver, division: str):  # type: ignore[no-untyped-def]
    from producers.world import World

    world = World(division if division != "440000" else "440106", driver.catalogue, seed=3, clock_origin=NOW)
    draft = next(d for d in world.chain_of("enterprise", 0.0) if d.resource == "enterprise_registration")
    return driver.event(draft.resource, draft.record, division=draft.region)


def _disease_record(driver: ExchangeDriver, region: str) -> dict[str, object]:
    from producers.world import World

    world = World(region, driver.catalogue, seed=5, clock_origin=NOW)
    return world.chain_of("disease", 0.0)[0].record


# ── dead letters: one per event, with the reason code ────────────────────────────────────────

def _mutate(message: Message, **changes: object) -> Message:
    return message._replace(**changes)  # type: ignore[arg-type]


def _body(message: Message) -> bytes:
    assert message.value is not None
    return message.value


def _headers(message: Message, name: str, value: bytes | None) -> tuple[tuple[str, bytes], ...]:
    kept = tuple((n, v) for n, v in message.headers if n != name)
    return kept if value is None else kept + ((name, value),)


@pytest.fixture
def valid(driver: ExchangeDriver) -> Message:
    return driver.event("death_certificate", death_certificate("440106")).as_message()


@pytest.mark.parametrize(("mutation", "reason"), [
    (lambda m: _mutate(m, headers=_headers(m, "ce_region", None)), "header.missing"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_time", b"yesterday")), "header.invalid"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_time", b"2026-13-40T25:00:00Z")), "header.invalid"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_specversion", b"0.3")), "header.invalid"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_id", b"\xff\xfe")), "header.invalid"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_type", b"gov.unicorns.created")), "resource.unknown"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_type", b"gov.birth_certificate.created")), "header.invalid"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_source", b"/440106/gongan")), "source.unauthorized"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_region", b"449999")), "header.invalid"),
    (lambda m: _mutate(m, headers=_headers(m, "ce_region", b"440105")), "region.mismatch"),
    (lambda m: _mutate(m, key=b"440106195003021244"), "key.mismatch"),
    (lambda m: _mutate(m, value=b"\x01" + _body(m)[1:]), "avro.framing"),
    (lambda m: _mutate(m, value=b"\x00\x00"), "avro.framing"),
    (lambda m: _mutate(m, value=None), "avro.framing"),
    (lambda m: _mutate(m, value=b"\x00\x7f\xff\xff\xfe" + _body(m)[PREFIX_SIZE:]), "schema.unknown"),
    (lambda m: _mutate(m, value=_body(m)[:-9]), "avro.decode"),
    (lambda m: _mutate(m, value=_body(m) + b"\x00"), "avro.decode"),
])
def test_invalid_events_are_dead_lettered_with_their_reason(
    driver: ExchangeDriver, valid: Message, mutation: Callable[[Message], Message], reason: str
) -> None:
    outcome = driver.pipe(mutation(valid))
    assert outcome.dead_letter is not None
    assert outcome.dead_letter.reason == reason
    assert outcome.deliveries == [] and outcome.skips == {}


def test_a_bad_citizen_id_checksum_is_dead_lettered(driver: ExchangeDriver) -> None:
    person = citizen_id("440106")
    broken = person[:-1] + ("0" if person[-1] != "0" else "1")
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("440106", person=broken)))
    assert outcome.dead_letter is not None
    assert outcome.dead_letter.reason == "id.checksum"
    assert "citizen_id" in outcome.dead_letter.detail


def test_a_value_of_another_resource_schema_is_refused(driver: ExchangeDriver, valid: Message) -> None:
    other = driver.schema("birth_certificate").id.to_bytes(4, "big")
    outcome = driver.pipe(_mutate(valid, value=b"\x00" + other + _body(valid)[PREFIX_SIZE:]))
    assert outcome.dead_letter is not None and outcome.dead_letter.reason == "schema.unknown"
    assert "another schema" in outcome.dead_letter.detail
