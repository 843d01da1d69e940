"""Consumer inboxes (`<ns>.dlv.<division>.<department>`) created on demand, before a batch writes to them.

A transaction must not be the first to write to a topic that does not exist yet (the producer would
wait for its metadata inside the transaction), so the worker creates the inboxes a batch needs before
it begins the transaction, and learns the existing ones' metadata once at start.
"""

from __future__ import annotations

from collections.abc import Iterable

from exchange.core.topics import TopicSpec
from exchange.kafka.transport import AdminClient, Producer


class Inboxes:
    """The inbox topics known to exist, and the creation of the missing ones."""

    def __init__(self, admin: AdminClient, partitions: int = 1) -> None:
        self._admin, self._partitions = admin, partitions
        self._known: set[str] = set()

    def learn(self, routed: Iterable[str], producer: Producer) -> None:
        """Note which of the `routed` inboxes exist, and fetch their metadata into `producer`."""
        existing = set(routed) & self._admin.topics()
        producer.prepare(sorted(existing))
        self._known |= existing

    def ensure(self, wanted: Iterable[str]) -> None:
        """Create every inbox of `wanted` not known to exist."""
        missing = set(wanted) - self._known
        if missing:
            self._admin.ensure_topics([TopicSpec(name, self._partitions) for name in sorted(missing)])
            self._known |= missing
