"""CloudEvents 1.0 Kafka binding, binary mode: the headers every govx event carries.

`ce_specversion`, `ce_id` (uuid), `ce_source` (`/<division>/<department>`), `ce_type`
(`gov.<resource>.<created|updated|deleted>`), `ce_subject` (= key), `ce_time` (RFC 3339), and
the extensions `ce_region` (the subject's division code) and `ce_traceparent` (W3C). Routing
needs only these, so a record granted in full is forwarded byte for byte.
"""

from __future__ import annotations

import random
import re
from datetime import datetime
from typing import NamedTuple

from exchange.errors import HeaderError

SPECVERSION = b"1.0"
ACTIONS = ("created", "updated", "deleted")
REQUIRED = ("ce_specversion", "ce_id", "ce_source", "ce_type", "ce_subject", "ce_time", "ce_region",
            "ce_traceparent")

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")
_SOURCE = re.compile(r"/(\d{6})/([a-z][a-z0-9_]*)\Z")
_TYPE = re.compile(r"gov\.([a-z][a-z0-9_]*)\.(created|updated|deleted)\Z")
_REGION = re.compile(r"\d{6}\Z")
_TRACEPARENT = re.compile(r"00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}\Z")
_TIME = re.compile(r"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2}))\Z")


class Envelope(NamedTuple):
    """The parsed CloudEvents attributes of one event."""

    id: str
    division: str
    department: str
    resource: str
    action: str
    subject: str
    time: str
    region: str
    traceparent: str

    @property
    def source(self) -> str:
        return f"/{self.division}/{self.department}"


def headers(envelope: Envelope) -> list[tuple[str, bytes]]:
    """The Kafka headers of `envelope`, in the binding's order."""
    return [
        ("ce_specversion", SPECVERSION),
        ("ce_id", envelope.id.encode()),
        ("ce_source", envelope.source.encode()),
        ("ce_type", f"gov.{envelope.resource}.{envelope.action}".encode()),
        ("ce_subject", envelope.subject.encode()),
        ("ce_time", envelope.time.encode()),
        ("ce_region", envelope.region.encode()),
        ("ce_traceparent", envelope.traceparent.encode()),
    ]


def rfc3339(moment: datetime) -> str:
    """`moment` (timezone-aware) as RFC 3339 with milliseconds, e.g. 2026-11-21T08:00:00.123+08:00."""
    if moment.tzinfo is None:
        raise ValueError("CloudEvents times must carry a timezone")
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def traceparent(rng: random.Random) -> str:
    """A new W3C traceparent for a sampled root span."""
    return f"00-{rng.getrandbits(128):032x}-{rng.getrandbits(64) or 1:016x}-01"


_Cache = dict[bytes, tuple[str, ...]]
_SOURCES: _Cache = {}
_TYPES: _Cache = {}
_REGIONS: _Cache = {}


def _text(found: dict[str, bytes], name: str) -> str:
    raw = found.get(name)
    if raw is None:
        raise HeaderError(f"header {name} is missing", reason="header.missing")
    try:
        return raw.decode("utf-8")
    except (UnicodeDecodeError, AttributeError):
        raise HeaderError(f"header {name} is not UTF-8 text", reason="header.invalid") from None


def _matching(pattern: re.Pattern[str], found: dict[str, bytes], name: str, expected: str) -> tuple[str, ...]:
    value = _text(found, name)
    match = pattern.match(value)
    if match is None:
        raise HeaderError(f"header {name}={value[:80]!r} is not {expected}", reason="header.invalid")
    return match.groups() or (match.group(0),)


def _remembered(cache: _Cache, found: dict[str, bytes], name: str, pattern: re.Pattern[str],
                expected: str) -> tuple[str, ...]:
    """Headers with few distinct values (source, type, region) are checked once per value."""
    raw = found.get(name)
    hit = cache.get(raw) if raw is not None else None
    if hit is None:
        hit = _matching(pattern, found, name, expected)
        if len(cache) >= 4096:
            cache.clear()
        cache[found[name]] = hit
    return hit


def _check_time(value: str) -> None:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        raise HeaderError(f"header ce_time={value!r} is not a real date and time", reason="header.invalid") from None


def parse(raw_headers: tuple[tuple[str, bytes], ...] | list[tuple[str, bytes]]) -> Envelope:
    """Parse and check the CloudEvents headers; `HeaderError` says which one is wrong."""
    found = dict(raw_headers)
    if found.get("ce_specversion") != SPECVERSION:
        _text(found, "ce_specversion")
        raise HeaderError("header ce_specversion must be 1.0", reason="header.invalid")
    (event_id,) = _matching(_UUID, found, "ce_id", "a lower-case UUID")
    division, department = _remembered(_SOURCES, found, "ce_source", _SOURCE, "/<6-digit division>/<department>")
    resource, action = _remembered(_TYPES, found, "ce_type", _TYPE, "gov.<resource>.<created|updated|deleted>")
    subject = _text(found, "ce_subject")
    if not subject:
        raise HeaderError("header ce_subject is empty", reason="header.invalid")
    time = _matching(_TIME, found, "ce_time", "an RFC 3339 time with a UTC offset")[0]
    _check_time(time)
    (region,) = _remembered(_REGIONS, found, "ce_region", _REGION, "a 6-digit division code")
    (trace,) = _matching(_TRACEPARENT, found, "ce_traceparent", "a W3C traceparent")
    return Envelope(event_id, division, department, resource, action, subject, time, region, trace)
