"""Department simulators: each department node publishes its chains on its own schedule.

One process runs any number of department nodes (`Source`s). Their schedules (see `rate`) are
merged in one timeline with the chains' follow-ups, which other departments of the same node
publish a moment later (a death certificate, then the household cancellation). Events are sent
when due — or at once when the process is behind — always stamped with their intended time.
The clock and the sleep are passed in, so tests run a schedule on virtual time.
"""

from __future__ import annotations

import heapq
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Protocol

from exchange.core.catalogue import Catalogue
from exchange.core.topics import Topics
from exchange.runtime.ledger import LedgerWriter, Produced
from exchange.runtime.metrics import Metrics
from exchange.runtime.retry import GIVE_UP_S, RetryBudget
from producers.draft import Draft
from producers.faults import Fault
from producers.publish import EventFactory, Publication
from producers.rate import RateProfile
from producers.world import World

# A send only queues a record: once a second the simulator waits (up to CONFIRM_DEADLINE_S) for what it
# has sent to be acknowledged, so a cluster that has gone fails a call, and the budget gives up in time.
CONFIRM_EVERY_S = 1.0
CONFIRM_DEADLINE_S = 5.0


class Sink(Protocol):
    """Where events go: `exchange.transport.Publisher`, or a list in a unit test."""

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: tuple[tuple[str, bytes], ...] = (), timestamp_ms: int | None = None) -> None: ...

    def flush(self, timeout_s: float | None = None) -> None: ...


@dataclass(frozen=True)
class Source:
    """A department node that originates chains at the rate of `profile`."""

    division: str
    department: str
    profile: RateProfile


@dataclass
class Summary:
    """What a simulator run produced."""

    produced: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    behind_max_s: float = 0.0
    interrupted: bool = False


@dataclass(order=True)
class _Due:
    at_s: float
    order: int
    source: int = field(compare=False)
    draft: Draft | None = field(compare=False, default=None)


def world_seed(seed: int, division: str) -> int:
    """A distinct, reproducible seed per node."""
    return seed * 1_000_003 + int(division)


class Simulator:
    """Publishes the chains of several department nodes on their schedules."""

    def __init__(self, catalogue: Catalogue, topics: Topics, sink: Sink, sources: Sequence[Source], *,
                 seed: int, start_s: float, clock_origin: datetime | None = None, bad_share: float = 0.0,
                 faults: Sequence[Fault] = tuple(Fault), ledger: LedgerWriter | None = None,
                 metrics: Metrics | None = None, clock: Callable[[], float] = time.time,
                 sleep: Callable[[float], None] = time.sleep, pool_size: int = 300,
                 senders: Callable[[str, str], Sink] | None = None, give_up_s: float = GIVE_UP_S) -> None:
        origin = clock_origin or datetime.fromtimestamp(start_s, UTC)
        self._worlds = {d: World(d, catalogue, seed=world_seed(seed, d), clock_origin=origin, pool_size=pool_size)
                        for d in sorted({s.division for s in sources})}
        self._sources = list(sources)
        self._factory = EventFactory(catalogue, topics, random.Random(seed), bad_share=bad_share, faults=faults)
        self._sink, self._ledger, self._metrics = sink, ledger, metrics
        self._senders = senders  # (division, department) -> that node's own sink, on a secure cluster
        self._start_s, self._clock, self._sleep = start_s, clock, sleep
        self._budget = RetryBudget("producer", give_up_s, clock=clock)  # a failing send is retried, then given up
        self._order, self._confirmed_at = 0, clock()

    def start_at(self, start_s: float) -> None:
        """Move the start of every schedule (epoch seconds); before `run`."""
        self._start_s = start_s

    def run(self, stop: threading.Event | None = None) -> Summary:
        """Publish until every schedule and every follow-up is done, or `stop` is set."""
        summary = Summary()
        schedules = [iter(source.profile.due_times()) for source in self._sources]
        timeline = [due for index, times in enumerate(schedules) if (due := self._next(index, times)) is not None]
        heapq.heapify(timeline)
        while timeline:
            if stop is not None and stop.is_set():
                summary.interrupted = True
                break
            due = heapq.heappop(timeline)
            if not self._wait_until(due.at_s, stop):
                summary.interrupted = True
                break
            self._handle(due, schedules, timeline, summary)
        self._sink.flush()
        if self._ledger is not None:
            self._ledger.flush()
        return summary

    def _next(self, index: int, times: Iterator[float]) -> _Due | None:
        at_s = next(times, None)
        if at_s is None:
            return None
        self._order += 1
        return _Due(at_s, self._order, index)

    def _handle(self, due: _Due, schedules: list[Iterator[float]], timeline: list[_Due], summary: Summary) -> None:
        source = self._sources[due.source]
        if due.draft is None:
            root, *follow_ups = self._worlds[source.division].chain(source.department, due.at_s)
            self._publish(root, source.division, due.at_s, summary)
            for draft in follow_ups:
                self._order += 1
                heapq.heappush(timeline, _Due(due.at_s + draft.after_s, self._order, due.source, draft))
            upcoming = self._next(due.source, schedules[due.source])
            if upcoming is not None:
                heapq.heappush(timeline, upcoming)
        else:
            self._publish(due.draft, source.division, due.at_s, summary)

    def _wait_until(self, at_s: float, stop: threading.Event | None) -> bool:
        """Sleep until `at_s` after the start; False if stopped meanwhile."""
        while (remaining := self._start_s + at_s - self._clock()) > 0:
            if stop is not None and stop.is_set():
                return False
            self._sleep(min(remaining, 0.05))
        return True

    def _publish(self, draft: Draft, division: str, at_s: float, summary: Summary) -> None:
        intended = self._start_s + at_s
        publication = self._factory.publication(draft, division, datetime.fromtimestamp(intended, UTC))
        event = publication.event
        sink = self._sink if self._senders is None else self._senders(division, draft.department)
        self._budget.call(lambda: sink.send(event.topic, event.value, key=event.key, headers=event.headers,
                                            timestamp_ms=event.timestamp_ms), self._sleep)
        self._confirm()
        now = self._clock()
        summary.produced += 1
        summary.behind_max_s = max(summary.behind_max_s, now - intended)
        if publication.fault is not None:
            summary.faults[publication.fault.value] += 1
        self._record(publication, division, int(now * 1000))

    def _confirm(self) -> None:
        """Once every CONFIRM_EVERY_S, wait for what was sent to be acknowledged (retried, then given up)."""
        if self._clock() - self._confirmed_at < CONFIRM_EVERY_S:
            return
        self._budget.call(lambda: self._sink.flush(CONFIRM_DEADLINE_S), self._sleep)
        self._confirmed_at = self._clock()

    def _record(self, publication: Publication, division: str, sent_ms: int) -> None:
        event, fault = publication.event, publication.fault
        if self._metrics is not None:
            self._metrics.produced.labels(event.envelope.resource, fault.value if fault else "valid").inc()
        if self._ledger is not None:
            self._ledger.write(Produced(
                event.envelope.id, event.envelope.resource, event.key.decode(), event.envelope.region, division,
                event.envelope.department, event.envelope.action, event.timestamp_ms, sent_ms,
                fault.value if fault else None))
