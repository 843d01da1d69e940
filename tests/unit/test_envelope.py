"""CloudEvents headers: what a departmental system must send, and how each mistake is named."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta, timezone

import pytest

from exchange.core import envelope
from exchange.core.envelope import Envelope
from exchange.errors import HeaderError

EVENT = Envelope("0b4a7d0e-3c1f-4b7a-9a57-8f8d1f3c2e11", "440106", "weijian", "death_certificate", "created",
                 "440106195003021236", "2026-11-21T08:00:00.000Z", "440106",
                 "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")


def test_headers_parse_back_to_the_same_envelope() -> None:
    assert envelope.parse(tuple(envelope.headers(EVENT))) == EVENT
    assert EVENT.source == "/440106/weijian"


def test_headers_follow_the_kafka_binding_names() -> None:
    names = [name for name, _ in envelope.headers(EVENT)]
    assert names == list(envelope.REQUIRED)


@pytest.mark.parametrize("name", envelope.REQUIRED)
def test_each_missing_header_is_named(name: str) -> None:
    headers = [(n, v) for n, v in envelope.headers(EVENT) if n != name]
    with pytest.raises(HeaderError, match=name) as caught:
        envelope.parse(headers)
    assert caught.value.reason == "header.missing"


@pytest.mark.parametrize(("name", "value"), [
    ("ce_specversion", b"1.1"), ("ce_id", b"not-a-uuid"), ("ce_source", b"440106/weijian"),
    ("ce_source", b"/4401/weijian"), ("ce_type", b"gov.death_certificate.exploded"), ("ce_type", b"death"),
    ("ce_subject", b""), ("ce_time", b"2026-11-21 08:00:00"), ("ce_time", b"2026-02-30T08:00:00Z"),
    ("ce_time", b"2026-11-21T08:00:00"), ("ce_region", b"44010"), ("ce_traceparent", b"01-abc"),
    ("ce_region", b"\xff\xfe\xfd\xfc\xfb\xfa"),
])
def test_each_malformed_header_is_named(name: str, value: bytes) -> None:
    headers = [(n, value if n == name else v) for n, v in envelope.headers(EVENT)]
    with pytest.raises(HeaderError, match=name) as caught:
        envelope.parse(headers)
    assert caught.value.reason == "header.invalid"


def test_times_are_rfc3339_with_milliseconds_and_an_offset() -> None:
    moment = datetime(2026, 11, 21, 8, 0, 0, 123456, tzinfo=UTC)
    assert envelope.rfc3339(moment) == "2026-11-21T08:00:00.123Z"
    china = moment.astimezone(timezone(timedelta(hours=8)))
    assert envelope.rfc3339(china) == "2026-11-21T16:00:00.123+08:00"
    with pytest.raises(ValueError, match="timezone"):
        envelope.rfc3339(datetime(2026, 11, 21))


def test_traceparents_are_valid_and_reproducible_from_a_seed() -> None:
    first, second = envelope.traceparent(random.Random(1)), envelope.traceparent(random.Random(1))
    assert first == second
    headers = [(n, first.encode() if n == "ce_traceparent" else v) for n, v in envelope.headers(EVENT)]
    assert envelope.parse(headers).traceparent == first
