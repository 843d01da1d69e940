"""Deliberately bad events: each fault breaks exactly what it claims, for every resource, and the
exchange core dead-letters it with the expected reason."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exchange.core import envelope, identifiers, regions
from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.codec import PREFIX_SIZE, RegisteredSchema, SchemaRegistry, decode, encode
from exchange.core.decide import Exchange, Moment
from exchange.core.directory_view import DirectoryView
from exchange.core.envelope import Envelope
from exchange.core.message import Message
from exchange.core.rules import Rules
from exchange.core.schemas import data_items, identifier_fields
from exchange.errors import DecodeError, FramingError, UnknownSchemaError
from producers.draft import Draft
from producers.faults import (
    BYTE_FAULTS,
    EXPECTED_REASON,
    HEADER_FAULTS,
    RECORD_FAULTS,
    Fault,
    corrupt_bytes,
    corrupt_record,
)
from producers.world import World

CHINA = timezone(timedelta(hours=8))
ORIGIN = datetime(2025, 6, 15, 9, 0, tzinfo=CHINA)
CATALOGUE = load_catalogue()
RESOURCES = sorted(CATALOGUE.resources)
REGISTRY = SchemaRegistry()
SCHEMAS: dict[str, RegisteredSchema] = {rid: REGISTRY.register(r.definition) for rid, r in CATALOGUE.resources.items()}


def _samples() -> dict[str, list[Draft]]:
    """Several drafts of every resource, from a county and a province node."""
    found: dict[str, list[Draft]] = {rid: [] for rid in RESOURCES}
    for node in ("440106", "440000"):
        w = World(node, CATALOGUE, seed=17, clock_origin=ORIGIN)
        for i in range(4):
            for department in w.departments():
                for kind in w.chain_kinds(department):
                    for draft in w.chain_of(kind, 10.0 + i, department=department):
                        found[draft.resource].append(draft)
    return found


SAMPLES = _samples()


def test_the_fault_kinds_are_partitioned_and_all_have_a_reason() -> None:
    assert RECORD_FAULTS | BYTE_FAULTS | HEADER_FAULTS == set(Fault) == set(EXPECTED_REASON)
    assert not RECORD_FAULTS & BYTE_FAULTS and not BYTE_FAULTS & HEADER_FAULTS and not RECORD_FAULTS & HEADER_FAULTS


def _id_kinds(resource: str) -> dict[str, identifiers.IdKind]:
    return dict(identifier_fields(data_items(CATALOGUE.resources[resource].definition)))


@pytest.mark.parametrize("resource", RESOURCES)
def test_bad_checksum_breaks_only_a_check_character(resource: str) -> None:
    kinds = _id_kinds(resource)
    subject = CATALOGUE.resources[resource].subject
    for seed, draft in enumerate(SAMPLES[resource] * 3):
        bad = corrupt_record(draft, Fault.BAD_CHECKSUM, random.Random(seed))
        changed = [name for name in draft.record if bad.record[name] != draft.record[name]]
        assert len(changed) == 1
        (name,) = changed
        verdict = identifiers.check(bad.record[name], kinds[name])
        assert verdict.reason == "checksum", verdict.detail
        assert bad.record[name][:17] == draft.record[name][:17]
        assert bad.key == bad.record[subject] and bad.region == draft.region
        encode(SCHEMAS[resource], bad.record)


def test_bad_checksum_hits_the_subject_field_too() -> None:
    draft = SAMPLES["death_certificate"][0]
    hits = {corrupt_record(draft, Fault.BAD_CHECKSUM, random.Random(seed)).key != draft.key for seed in range(20)}
    assert hits == {True}  # the deceased's citizen ID is the record's only identifier field


@pytest.mark.parametrize("resource", RESOURCES)
def test_key_mismatch_and_region_mismatch_leave_the_record_alone(resource: str) -> None:
    entry = CATALOGUE.resources[resource]
    subject_kind = _id_kinds(resource).get(entry.subject)
    for seed, draft in enumerate(SAMPLES[resource]):
        rng = random.Random(seed)
        other = corrupt_record(draft, Fault.KEY_MISMATCH, rng)
        assert other.record == draft.record and other.key != draft.record[entry.subject]
        if subject_kind is not None:
            assert identifiers.check(other.key, subject_kind).valid
        moved = corrupt_record(draft, Fault.REGION_MISMATCH, rng)
        assert moved.record == draft.record and moved.key == draft.key
        assert moved.region != draft.record[entry.region_field] and regions.is_known(moved.region)


@pytest.mark.parametrize("resource", RESOURCES)
def test_byte_faults_fail_to_decode_as_the_exchange_reads_them(resource: str) -> None:
    for seed, draft in enumerate(SAMPLES[resource]):
        value = encode(SCHEMAS[resource], draft.record)
        rng = random.Random(seed)
        for fault in (Fault.MISSING_FIELD, Fault.UNDECODABLE):
            broken = corrupt_bytes(value, fault, rng)
            assert broken[:PREFIX_SIZE] == value[:PREFIX_SIZE] and broken != value
            with pytest.raises(DecodeError):
                decode(REGISTRY, broken)
        with pytest.raises(FramingError):
            decode(REGISTRY, corrupt_bytes(value, Fault.BAD_MAGIC, rng))
        unknown = corrupt_bytes(value, Fault.UNKNOWN_SCHEMA, rng)
        assert unknown[PREFIX_SIZE:] == value[PREFIX_SIZE:]
        with pytest.raises(UnknownSchemaError):
            decode(REGISTRY, unknown)


@settings(max_examples=200, deadline=None)
@given(resource=st.sampled_from(RESOURCES), seed=st.integers(0, 2**32))
def test_any_truncation_or_garbage_body_fails_to_decode(resource: str, seed: int) -> None:
    rng = random.Random(seed)
    drafts = SAMPLES[resource]
    value = encode(SCHEMAS[resource], drafts[rng.randrange(len(drafts))].record)
    for fault in (Fault.MISSING_FIELD, Fault.UNDECODABLE):
        with pytest.raises(DecodeError):
            decode(REGISTRY, corrupt_bytes(value, fault, rng))


def test_a_fault_at_the_wrong_level_is_refused() -> None:
    draft = SAMPLES["population_basic"][0]
    with pytest.raises(ValueError, match="record-level"):
        corrupt_record(draft, Fault.BAD_MAGIC, random.Random(1))
    with pytest.raises(ValueError, match="byte-level"):
        corrupt_bytes(encode(SCHEMAS["population_basic"], draft.record), Fault.KEY_MISMATCH, random.Random(1))


# --- end to end through the exchange core -------------------------------------------------------------


@pytest.fixture(scope="module")
def exchange() -> Exchange:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, ORIGIN))
    rules = Rules(SchemaRegistry())
    rules.update(view, list(view.resources))
    return Exchange(rules)


def _message(exchange: Exchange, draft: Draft, fault: Fault | None, rng: random.Random,
             node: str = "440106") -> Message:
    """The event a publisher at `node` sends for `draft`, with `fault` applied where it belongs."""
    if fault in RECORD_FAULTS:
        draft = corrupt_record(draft, fault, rng)
    value = encode(SCHEMAS[draft.resource], draft.record)
    if fault in BYTE_FAULTS:
        value = corrupt_bytes(value, fault, rng)
    department = draft.department
    if fault is Fault.WRONG_SOURCE:
        providers = CATALOGUE.resources[draft.resource].providers
        department = next(d for d in sorted(CATALOGUE.departments) if d not in providers)
    event = Envelope(str(uuid.UUID(int=rng.getrandbits(128), version=4)), node, department, draft.resource,
                     draft.action, draft.key, envelope.rfc3339(ORIGIN), draft.region, envelope.traceparent(rng))
    headers = [h for h in envelope.headers(event) if not (fault is Fault.MISSING_HEADER and h[0] == "ce_region")]
    rules = exchange.rules.get(draft.resource)
    assert rules is not None
    return Message(rules.topic, 0, 0, draft.key.encode(), value, tuple(headers), 0)


@pytest.mark.parametrize("resource", RESOURCES)
def test_the_exchange_accepts_the_drafts_and_dead_letters_every_fault(exchange: Exchange, resource: str) -> None:
    rng = random.Random(resource)
    for draft in SAMPLES[resource][:3]:
        clean = exchange.process(_message(exchange, draft, None, rng), Moment.of(ORIGIN))
        assert clean.dead_letter is None, clean.dead_letter
        for fault in Fault:
            outcome = exchange.process(_message(exchange, draft, fault, rng), Moment.of(ORIGIN))
            assert outcome.dead_letter is not None, fault
            assert outcome.dead_letter.reason == EXPECTED_REASON[fault], (fault, outcome.dead_letter)

