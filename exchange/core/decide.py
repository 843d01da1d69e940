"""The exchange core: one event in, its deliveries, skips, usage records or dead letter out.

Pure and synchronous, so the worker, the benchmarks and the in-memory test driver run the
same code. Per event: parse the CloudEvents headers, find the compiled rules of the resource,
check the source, the key, the schema id, decode the value once, check its identifiers, then
per route in region scope either forward the original bytes (full grant) or encode the view
(projected/masked) — each distinct view once per event, however many consumers share it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import NamedTuple

from exchange.core import envelope, regions
from exchange.core.codec import PREFIX_SIZE, framed_id
from exchange.core.directory import Node, SharingType
from exchange.core.envelope import Envelope
from exchange.core.identifiers import problem
from exchange.core.message import Headers, Message
from exchange.core.rules import ResourceRules, Route, Rules
from exchange.core.views import View
from exchange.errors import (
    FramingError,
    HeaderError,
    IdentifierError,
    InvalidEvent,
    SourceError,
    SubjectError,
    UnknownResourceError,
    UnknownSchemaError,
)


@dataclass(frozen=True, slots=True)
class Moment:
    """One reading of the clock, shared by every event of a batch."""

    ms: int
    iso: str

    @classmethod
    def of(cls, moment: datetime) -> Moment:
        return cls(int(moment.timestamp() * 1000), envelope.rfc3339(moment.astimezone(UTC)))

    @classmethod
    def now(cls) -> Moment:
        return cls.of(datetime.now(UTC))


class Delivery(NamedTuple):
    """One record for one consumer's inbox: value, key and headers as they will be written."""

    route: Route
    value: bytes
    key: bytes | None
    headers: Headers


@dataclass(slots=True)
class Outcome:
    """What the exchange decided for one event."""

    message: Message
    resource: str | None = None
    envelope: Envelope | None = None
    deliveries: list[Delivery] = field(default_factory=list)
    skips: dict[str, int] = field(default_factory=dict)
    dead_letter: InvalidEvent | None = None

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skips[reason] = self.skips.get(reason, 0) + count


class Valid(NamedTuple):
    """An event that passed every check: its envelope, its resource's rules, its value and field offsets."""

    envelope: Envelope
    rules: ResourceRules
    value: bytes
    bounds: list[int]


class Exchange:
    """Decides every event against the compiled rules."""

    def __init__(self, rules: Rules, *, known_region: Callable[[str], bool] = regions.is_known) -> None:
        self.rules = rules
        self._known_region = known_region

    def process(self, message: Message, at: Moment) -> Outcome:
        """Decide one event; an invalid one comes back with `dead_letter` set, never raised."""
        outcome = Outcome(message)
        try:
            self._decide(message, at, outcome)
        except InvalidEvent as invalid:
            outcome.deliveries.clear()
            outcome.skips.clear()
            outcome.dead_letter = invalid
        return outcome

    def validate(self, message: Message) -> Valid:
        """The event checked from headers to identifiers; `InvalidEvent` names what is wrong."""
        event = envelope.parse(message.headers)
        rules = self._checked_rules(message, event, self.rules.get(event.resource))
        value, bounds = self._valid_record(message, event, rules)
        return Valid(event, rules, value, bounds)

    def _decide(self, message: Message, at: Moment, outcome: Outcome) -> None:
        event = outcome.envelope = envelope.parse(message.headers)
        found = self.rules.get(event.resource)
        if found is not None:
            outcome.resource = event.resource  # known from here on, for the metrics of a dead letter too
        rules = self._checked_rules(message, event, found)
        value, bounds = self._valid_record(message, event, rules)
        for reason, count in rules.skips:
            outcome.skip(reason, count)
        if not rules.routes:
            if not rules.skips:
                outcome.skip("not_shared" if rules.resource.sharing is SharingType.NONE else "no_grant")
            return
        in_scope = rules.routes_for(event.region)
        outcome.skip("out_of_scope", len(rules.routes) - len(in_scope))
        self._deliver(in_scope, message, value, bounds, at, outcome, overlapping=rules.overlapping)

    def _checked_rules(self, message: Message, event: Envelope, rules: ResourceRules | None) -> ResourceRules:
        """The resource's rules, once the event's topic, source, region and key fit them."""
        if rules is None:
            raise UnknownResourceError(f"the directory lists no resource {event.resource!r}")
        if message.topic != rules.topic:
            raise HeaderError(f"ce_type names {event.resource} but the event is on {message.topic}")
        if event.department not in rules.resource.providers:
            raise SourceError(f"{event.source} does not provide {event.resource}; providers: "
                              f"{', '.join(rules.resource.providers)}")
        if not self._known_region(event.region):
            raise HeaderError(f"ce_region {event.region} is not a division of the province")
        if message.key is None or message.key.decode("utf-8", "replace") != event.subject:
            raise SubjectError(f"key {message.key!r} is not ce_subject {event.subject!r}")
        return rules

    def _valid_record(self, message: Message, event: Envelope, rules: ResourceRules) -> tuple[bytes, list[int]]:
        """The value and its field offsets, once it is well formed and its identifiers hold."""
        value = _value(message)
        schema_id = framed_id(value)
        if schema_id != rules.schema.id:
            known = "an unknown schema" if schema_id not in self.rules.registry else "another schema"
            raise UnknownSchemaError(f"schema id {schema_id} is {known}; {event.resource} uses "
                                     f"{rules.schema.name} (id {rules.schema.id})")
        bounds = rules.layout.bounds(value, PREFIX_SIZE)
        subject = rules.subject.read(value, bounds[rules.subject.index])
        if subject != event.subject:
            raise SubjectError(f"the key {event.subject!r} is not the record's {rules.subject.field} {subject!r}")
        region = rules.region.read(value, bounds[rules.region.index])
        if region != event.region:
            raise HeaderError(f"ce_region {event.region} differs from the record's {rules.region.field} "
                              f"{region!r}", reason="region.mismatch")
        for check in rules.checks:
            identifier = check.read(value, bounds[check.index])
            if identifier is not None:
                failed = problem(check.kind, identifier)
                if failed is not None:
                    raise IdentifierError(f"{check.field}: {failed[1]}", reason=f"id.{failed[0]}")
        return value, bounds

    def _deliver(self, routes: tuple[Route, ...], message: Message, value: bytes, bounds: list[int], at: Moment,
                 outcome: Outcome, *, overlapping: bool = False) -> None:
        rendered: dict[View, bytes] = {}
        served: set[Node] | None = set() if overlapping else None
        for route in routes:
            outside = route.outside_window(at.ms)
            if outside is not None:
                outcome.skip(outside)
            elif served is not None and route.consumer in served:
                outcome.skip("grant_overlap")
            else:
                if served is not None:
                    served.add(route.consumer)
                payload = value if route.view.schema is None else rendered.get(route.view)
                if payload is None:
                    payload = rendered[route.view] = route.view.render(value, bounds)
                if route.subject_mask is None:
                    delivery = Delivery(route, payload, message.key, message.headers + route.headers)
                else:
                    delivery = _masked_subject(route, payload, message, route.subject_mask)
                outcome.deliveries.append(delivery)


def _value(message: Message) -> bytes:
    if message.value is None:
        raise FramingError("the event has no value (a tombstone); the wire format needs a record")
    return message.value


def _masked_subject(route: Route, value: bytes, message: Message, mask: Callable[[str], str]) -> Delivery:
    """A delivery whose view masks the subject: its key and `ce_subject` carry the masked value."""
    masked = mask((message.key or b"").decode()).encode()
    headers = tuple((name, masked if name == "ce_subject" else raw) for name, raw in message.headers)
    return Delivery(route, value, masked, headers + route.headers)


def usage_record(event: Envelope, deliveries: list[Delivery], at: Moment) -> bytes:
    """The usage record (JSON) the regulation requires for `event`: one entry per delivery in `usages`."""
    head = (f'{{"event_id":"{event.id}","provider":"{event.source}","event_time":"{event.time}",'
            f'"delivered_at":"{at.iso}","usages":[{{')
    return head.encode() + b"},{".join(delivery.route.audit for delivery in deliveries) + b"}]}"


def dead_letter_headers(message: Message, invalid: InvalidEvent) -> Headers:
    """The original headers plus the reason code, its explanation and where the event came from."""
    return message.headers + (
        ("govx_error", invalid.reason.encode()),
        ("govx_error_detail", invalid.detail.encode("utf-8", "replace")),
        ("govx_source", f"{message.topic}/{message.partition}/{message.offset}".encode()),
    )
