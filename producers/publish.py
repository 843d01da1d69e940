"""From drafts to source events in the wire contract, with deliberate faults at a chosen share.

Every bad event carries the header `govx_fault` naming its fault (the exchange ignores it; tests
and the run report use it) and goes to the ledger with the fault, so the report can check that
each one was dead-lettered for the expected reason.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from exchange.core import envelope
from exchange.core.catalogue import Catalogue
from exchange.core.codec import RegisteredSchema, SchemaRegistry
from exchange.core.events import SourceEvent, build_event
from exchange.core.topics import Topics
from producers.draft import Draft
from producers.faults import BYTE_FAULTS, RECORD_FAULTS, Fault, corrupt_bytes, corrupt_record


@dataclass(frozen=True)
class Publication:
    """One event to send, and the fault it carries deliberately (None for a valid event)."""

    event: SourceEvent
    fault: Fault | None


class EventFactory:
    """Builds the events of drafts; `bad_share` of them get one of `faults`."""

    def __init__(self, catalogue: Catalogue, topics: Topics, rng: random.Random, *, bad_share: float = 0.0,
                 faults: Sequence[Fault] = tuple(Fault)) -> None:
        if not 0 <= bad_share <= 1:
            raise ValueError(f"bad_share {bad_share} is not a share between 0 and 1")
        registry = SchemaRegistry()
        self._catalogue = catalogue
        self._schemas: dict[str, RegisteredSchema] = {
            rid: registry.register(resource.definition) for rid, resource in catalogue.resources.items()}
        self._topics = topics
        self._rng = rng
        self._bad_share = bad_share
        self._faults = tuple(faults)

    def publication(self, draft: Draft, division: str, at: datetime) -> Publication:
        fault = self._pick_fault()
        if fault in RECORD_FAULTS:
            draft = corrupt_record(draft, fault, self._rng)
        event = self._build(draft, division, at, self._source_department(draft, fault))
        if fault in BYTE_FAULTS:
            event = _replace_value(event, corrupt_bytes(event.value, fault, self._rng))
        if fault is Fault.MISSING_HEADER:
            event = _drop_header(event, self._rng.choice(envelope.REQUIRED))
        if fault is not None:
            event = _with_header(event, "govx_fault", fault.value.encode())
        return Publication(event, fault)

    def _pick_fault(self) -> Fault | None:
        if self._bad_share and self._faults and self._rng.random() < self._bad_share:
            return self._rng.choice(self._faults)
        return None

    def _source_department(self, draft: Draft, fault: Fault | None) -> str:
        if fault is not Fault.WRONG_SOURCE:
            return draft.department
        providers = self._catalogue.resources[draft.resource].providers
        return next(code for code in sorted(self._catalogue.departments) if code not in providers)

    def _build(self, draft: Draft, division: str, at: datetime, department: str) -> SourceEvent:
        resource = self._catalogue.resources[draft.resource]
        return build_event(resource, self._schemas[draft.resource], draft.record, division=division,
                           department=department, at=at, rng=self._rng, action=draft.action, topics=self._topics,
                           key=draft.key, region=draft.region)


def _replace_value(event: SourceEvent, value: bytes) -> SourceEvent:
    return SourceEvent(event.topic, event.key, value, event.headers, event.timestamp_ms, event.envelope)


def _drop_header(event: SourceEvent, name: str) -> SourceEvent:
    headers = tuple((n, v) for n, v in event.headers if n != name)
    return SourceEvent(event.topic, event.key, event.value, headers, event.timestamp_ms, event.envelope)


def _with_header(event: SourceEvent, name: str, value: bytes) -> SourceEvent:
    return SourceEvent(event.topic, event.key, event.value, (*event.headers, (name, value)), event.timestamp_ms,
                       event.envelope)
