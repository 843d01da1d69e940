"""The consumer inboxes a worker writes to: learnt before the first batch, created when a route first needs one."""

from __future__ import annotations

from collections.abc import Iterable

from exchange.core.decide import Outcome
from exchange.core.rules import ResourceRules
from exchange.core.topics import TopicSpec
from exchange.kafka.transport import AdminClient, Producer


class Inboxes:
    """The inbox topics known to exist, and how to make the missing ones."""

    def __init__(self, admin: AdminClient, partitions: int) -> None:
        self._admin, self._partitions = admin, partitions
        self._known: set[str] = set()

    def prepare(self, rules: Iterable[ResourceRules], producer: Producer) -> None:
        """Learn the inboxes that exist already, and their metadata, before the first batch."""
        routed = {route.topic for resource in rules for route in resource.routes}
        existing = routed & self._admin.topics()
        producer.prepare(sorted(existing))
        self._known |= existing

    def ensure(self, outcomes: list[Outcome]) -> None:
        """Create the inboxes these outcomes deliver to that do not exist yet."""
        wanted = {d.route.topic for o in outcomes for d in o.deliveries} - self._known
        if wanted:
            self._admin.ensure_topics([TopicSpec(name, self._partitions) for name in sorted(wanted)])
            self._known |= wanted
