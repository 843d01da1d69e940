"""Keeps a `DirectoryView` current from the compacted topic `gov.directory`, and writes to it.

Every exchange worker and the API run one feed: at start they read the topic to its end,
then poll it between batches, so an approval or a revocation reaches every worker within a
poll interval and without a restart. A malformed directory event is handed to `on_invalid`
(the worker dead-letters it) and never half-applied.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from exchange.core.directory import DirectoryEvent
from exchange.core.directory_codec import from_json, to_json
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.errors import DirectoryError
from exchange.kafka.transport import Producer, TopicReader

InvalidHandler = Callable[[Message, DirectoryError], None]


def _ignore(message: Message, error: DirectoryError) -> None:
    """The default for readers that only watch: an invalid event is skipped."""


class DirectoryFeed:
    """Applies `gov.directory` to a view; reports which resources' sharing changed."""

    def __init__(self, reader: TopicReader, view: DirectoryView, *, on_invalid: InvalidHandler = _ignore,
                 on_event: Callable[[DirectoryEvent], None] | None = None) -> None:
        self.view = view
        self._reader = reader
        self._on_invalid = on_invalid
        self._on_event = on_event

    def catch_up(self, timeout_s: float = 30.0) -> set[str]:
        """Read everything written so far; return the resources whose rules may have changed."""
        return self._apply(self._reader.read_to_end(timeout_s))

    def poll(self, timeout_ms: int = 0) -> set[str]:
        return self._apply(self._reader.poll(timeout_ms=timeout_ms))

    def _apply(self, messages: Iterable[Message]) -> set[str]:
        changed: set[str] = set()
        for message in messages:
            if message.value is None:
                continue  # a tombstone: compaction removes the entity's history; nothing to apply
            try:
                event = from_json(message.value)
            except DirectoryError as error:
                self._on_invalid(message, error)
                continue
            changed.add(self.view.apply(event))
            if self._on_event is not None:
                self._on_event(event)
        return changed

    def close(self) -> None:
        self._reader.close()


def publish(publisher: Producer, topic: str, events: Iterable[DirectoryEvent]) -> int:
    """Write directory events, keyed `<kind>/<id>`, and wait until the broker has them all."""
    count = 0
    for event in events:
        publisher.send(topic, to_json(event), key=event.key.encode())
        count += 1
    publisher.flush()
    return count
