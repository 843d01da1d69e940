"""What the API serves from: the directory view, its compiled rules, the record store — one lock.

The state is fed by `link.KafkaLink` (directory events and source events from the cluster) and
changed by requests through `submit`, which publishes the directory events and applies them at
once, so a department reads its own writes. Publishing is passed in: the Kafka publisher in
service, any callable in tests that run without a broker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime

from exchange.api.store import RecordStore
from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange
from exchange.core.directory import Department, DirectoryEvent
from exchange.core.directory_view import DirectoryView
from exchange.core.rules import Rules
from exchange.core.sharing import Sharing, overdue, pending
from exchange.core.topics import Topics
from exchange.runtime.metrics import Metrics

Publish = Callable[[list[DirectoryEvent]], None]


@dataclass
class Freshness:
    """When the feeds last read the cluster, and what went wrong if they could not."""

    directory_read_at: float | None = None
    records_read_at: float | None = None
    broker_error: str | None = None


class ApiState:
    """The directory, rules and records one API process answers from."""

    def __init__(self, departments: Mapping[str, Department], *, publish: Publish, metrics: Metrics,
                 clock: Callable[[], datetime], topics: Topics | None = None, deadline_days: int = 10,
                 grant_days: int = 365) -> None:
        self.lock = threading.RLock()
        self.view = DirectoryView(departments)
        self.rules = Rules(SchemaRegistry(), topics)
        self.exchange = Exchange(self.rules)
        self.store = RecordStore(self.exchange)
        self.sharing = Sharing(self.view, clock=clock, deadline_days=deadline_days)
        self.metrics = metrics
        self.clock = clock
        self.grant_days = grant_days
        self.freshness = Freshness()
        self._publish = publish

    def apply(self, events: Iterable[DirectoryEvent]) -> None:
        """Apply directory events (read from the topic, or just written) and recompile."""
        with self.lock:
            changed = {self.view.apply(event) for event in events}
            if changed:
                self.rules.update(self.view, changed)
            self.refresh_gauges()

    def submit(self, events: list[DirectoryEvent]) -> None:
        """Publish what a request decided, then apply it here at once."""
        with self.lock:
            self._publish(events)
            self.apply(events)

    def refresh_gauges(self, today: date | None = None) -> None:
        with self.lock:
            today = today or self.clock().date()
            self.metrics.applications_pending.set(len(pending(self.view)))
            self.metrics.applications_overdue.set(len(overdue(self.view, today)))
            for rules in self.rules.all():
                self.metrics.grants_active.labels(rules.resource.id).set(len(rules.routes))

    def directory_age_s(self) -> float | None:
        read_at = self.freshness.directory_read_at
        return None if read_at is None else time.monotonic() - read_at
