"""Department receivers: read a consumer node's deliveries and check them against its grant.

A receiver decodes every delivery by the schema id it carries (view schemas come from
`<ns>.schemas`), checks that nothing beyond the grant arrived — exactly the granted fields,
masked ones as strings — dedupes by (event id, consumer), and writes each delivery to its ledger
with its position, so the run report can prove nothing was lost or duplicated.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from exchange.core.codec import SchemaRegistry, decode
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.core.topics import Topics
from exchange.core.views import ViewSpec
from exchange.errors import GovxError, UnknownSchemaError
from exchange.kafka.schema_feed import load_published
from exchange.kafka.transport import Transport
from exchange.runtime.ledger import LedgerWriter, Received
from exchange.runtime.metrics import Metrics


class Receiver:
    """Reads every inbox of a namespace (or the ones matching `pattern`) as one consumer group."""

    def __init__(self, transport: Transport, topics: Topics, view: DirectoryView, metrics: Metrics, *,
                 ledger: LedgerWriter | None = None, group: str | None = None, pattern: str | None = None,
                 clock: Callable[[], float] = time.time) -> None:
        self._transport = transport
        self._topics = topics
        self._view = view
        self._metrics = metrics
        self._ledger = ledger
        self._clock = clock
        self.registry = SchemaRegistry()
        self.seen: set[tuple[str, str]] = set()
        self.duplicates = 0
        for department in view.departments:  # alerts use increase(): the series must exist before the first
            metrics.receiver_violations.labels(department)
        inboxes = pattern or topics.inbox_pattern
        self._subscriber = transport.subscriber(inboxes, group or topics.receivers_group,
                                                metadata_max_age_ms=1000, session_timeout_ms=10000)

    def poll(self, timeout_ms: int = 200) -> list[Received]:
        """Read, check and record what arrived; commit once it is in the ledger."""
        messages = self._subscriber.poll(timeout_ms)
        received = [self.receive(message) for message in messages]
        if received:
            if self._ledger is not None:
                self._ledger.flush()
            self._subscriber.commit()
        return received

    def receive(self, message: Message) -> Received:
        headers = dict(message.headers)
        event_id, consumer = _text(headers, "ce_id"), _text(headers, "govx_consumer")
        grant = _text(headers, "govx_grant")
        entry = Received(event_id, consumer, grant, message.topic, message.partition, message.offset,
                         _event_ms(headers), int(self._clock() * 1000), self._violation(message, grant, consumer))
        self._count(entry)
        if self._ledger is not None:
            self._ledger.write(entry)
        return entry

    def _count(self, entry: Received) -> None:
        department = entry.consumer.partition("/")[2] or "unknown"
        self._metrics.received.labels(department).inc()
        if entry.violation is not None:
            self._metrics.receiver_violations.labels(department).inc()
        if (entry.event_id, entry.consumer) in self.seen:
            self.duplicates += 1
        self.seen.add((entry.event_id, entry.consumer))

    def _violation(self, message: Message, grant_id: str, consumer: str) -> str | None:
        try:
            record = self._decode(message.value)
        except GovxError:
            return "value.undecodable"
        return violation(self._view, grant_id, consumer, record)

    def _decode(self, value: bytes | None) -> dict[str, object]:
        try:
            return decode(self.registry, value)[1]
        except UnknownSchemaError:
            load_published(self._transport.reader([self._topics.schemas]), self.registry)
            return decode(self.registry, value)[1]

    def assigned(self) -> bool:
        """True once the group has given this receiver partitions to read."""
        return bool(self._subscriber.assignment())

    def close(self) -> None:
        self._subscriber.close()


def violation(view: DirectoryView, grant_id: str, consumer: str, record: Mapping[str, Any]) -> str | None:
    """What about a decoded delivery exceeds or contradicts its grant, or None when it conforms:
    exactly the granted fields, in the schema's order, masked ones as strings."""
    grant = view.grants.get(grant_id)
    if grant is None or grant.consumer.id != consumer:
        return "grant.unknown"
    resource = view.resources.get(grant.resource)
    if resource is None:
        return "resource.unknown"
    order = [f["name"] for f in resource.definition["fields"]]
    spec = ViewSpec.of(grant.fields, dict(grant.masks), order)
    if list(record) != list(spec.fields):
        return "fields.beyond_grant" if set(record) - set(spec.fields) else "fields.missing"
    unmasked = [n for n, _ in spec.masks if record[n] is not None and not isinstance(record[n], str)]
    return "mask.missing" if unmasked else None


def _text(headers: dict[str, bytes], name: str) -> str:
    raw = headers.get(name)
    return raw.decode("utf-8", "replace") if raw is not None else ""


def _event_ms(headers: dict[str, bytes]) -> int:
    try:
        return int(datetime.fromisoformat(_text(headers, "ce_time")).timestamp() * 1000)
    except ValueError:
        return 0
