"""Keeps a `DirectoryView` current from the compacted topic `gov.directory`, and writes to it.

Every exchange worker and the API run one feed: at start they read the topic to its end,
then poll it between batches, so an approval or a revocation reaches every worker within a
poll interval and without a restart. A malformed directory event, or one against the sharing
rules, is handed to `on_invalid` (the worker dead-letters it) and never half-applied; the view
applies an event only if it is newer (`exchange.core.directory_apply`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from exchange.core.directory import DirectoryEvent
from exchange.core.directory_apply import DirectoryApplier, InvalidHandler, Verdict, ignore_invalid
from exchange.core.directory_codec import to_json
from exchange.core.directory_view import DirectoryView
from exchange.kafka.transport import Producer, TopicReader


class DirectoryFeed:
    """Applies `gov.directory` to a view (`DirectoryApplier`); reports which resources' sharing changed."""

    def __init__(self, reader: TopicReader, view: DirectoryView, *, on_invalid: InvalidHandler = ignore_invalid,
                 on_event: Callable[[DirectoryEvent], None] | None = None,
                 on_verdict: Callable[[Verdict], None] | None = None) -> None:
        self.view = view
        self._reader = reader
        self._applier = DirectoryApplier(view, on_invalid=on_invalid, on_event=on_event, on_verdict=on_verdict)

    def catch_up(self, timeout_s: float = 30.0) -> set[str]:
        """Read everything written so far; return the resources whose rules may have changed."""
        return self._applier.apply(self._reader.read_to_end(timeout_s))

    def poll(self, timeout_ms: int = 0) -> set[str]:
        return self._applier.apply(self._reader.poll(timeout_ms=timeout_ms))

    def close(self) -> None:
        self._reader.close()


def publish(publisher: Producer, topic: str, events: Iterable[DirectoryEvent],
            handed: Callable[[], None] | None = None) -> int:
    """Write directory events, keyed `<kind>/<id>`, and wait until the broker has them all;
    `handed` is called once they are all in the client's send buffer."""
    count = 0
    for event in events:
        publisher.send(topic, to_json(event), key=event.key.encode())
        count += 1
    if handed is not None:
        handed()
    publisher.flush()
    return count
