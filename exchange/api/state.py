"""What the API serves from: the directory view, its compiled rules, the record store — one lock.

The state is fed by `link.KafkaLink` (directory events and source events from the cluster) through
`receive`, the only place the directory changes. A request's decision goes through `submit`: the
event is published (no lock held), and the answer waits until the feed has read it back and the log
has decided it (`exchange.api.writes`), so a department reads its own writes, each applied once.
Publishing is passed in: the bounded Kafka publisher in service, a loopback in tests without a broker.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta

from exchange.api.limits import RateLimit
from exchange.api.store import RecordStore
from exchange.api.writes import ABSENT, Pending, Publish
from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange
from exchange.core.directory import Department, DirectoryEvent, Entity
from exchange.core.directory_apply import DirectoryApplier, Verdict
from exchange.core.directory_view import EXPIRED, STALE, DirectoryView
from exchange.core.message import Message
from exchange.core.rules import Rules
from exchange.core.sharing import Sharing, overdue, pending
from exchange.core.topics import Topics
from exchange.errors import ConflictError, DirectoryError, TransportError, WriteTimeout, WriteUnavailable
from exchange.runtime.metrics import Metrics

log = logging.getLogger(__name__)
Usage = Callable[[bytes, bytes], None]  # (key, usage record): written to <ns>.audit


@dataclass
class Freshness:
    """When the feeds last read the cluster, and what went wrong if they could not."""

    directory_read_at: float | None = None
    records_read_at: float | None = None
    broker_error: str | None = None
    broker_ok: bool = True


@dataclass(frozen=True)
class Limits:
    """The API's bounds (settings `GOVX_DIRECTORY_WRITE_TIMEOUT_S`, `GOVX_API_*`, docs/operations.md)."""

    write_timeout_s: float = 5.0
    max_grant_days: int = 1826
    grant_days: int = 365
    deadline_days: int = 10
    lookups_per_minute: int = 600
    max_body_bytes: int = 65536


class ApiState:
    """The directory, rules and records one API process answers from."""

    def __init__(self, departments: Mapping[str, Department], *, publish: Publish, usage: Usage, metrics: Metrics,
                 clock: Callable[[], datetime], topics: Topics | None = None, limits: Limits = Limits(),
                 wall: Callable[[], datetime] = lambda: datetime.now(UTC),
                 ticks: Callable[[], float] = time.monotonic) -> None:
        self.lock = threading.RLock()
        self.view = DirectoryView(departments)
        self.rules = Rules(SchemaRegistry(), topics)
        self.exchange = Exchange(self.rules)
        self.store = RecordStore(self.exchange)
        self.limits = limits
        self.sharing = Sharing(self.view, clock=clock, deadline_days=limits.deadline_days,
                               max_grant_days=limits.max_grant_days)
        self.metrics, self.clock, self.wall = metrics, clock, wall
        self.grant_days = limits.grant_days
        self.freshness = Freshness()
        self._publish, self.usage = publish, usage
        self.lookups = RateLimit(limits.lookups_per_minute, clock=ticks)
        self.pending = Pending()
        self.reasserts: list[DirectoryEvent] = []
        self._applier = DirectoryApplier(self.view, on_verdict=self._verdict, on_invalid=_skipped)

    def receive(self, messages: Iterable[Message]) -> None:
        """Apply what the feed read from `<ns>.directory`, in log order, and recompile."""
        with self.lock:
            changed = self._applier.apply(messages)
            if changed:
                self.rules.update(self.view, changed)
            self.refresh_gauges()

    def submit(self, event: DirectoryEvent) -> Verdict:
        """Write one decision and wait for the log's verdict on it; `WriteUnavailable` within the bound.

        The answer comes within the write timeout T. The event's deadline is half of it: the broker
        stamps the time it appends each directory event and every reader ignores one appended after
        its deadline. A write not acknowledged by the deadline either never reached the client's send
        buffer (then it is certainly not applied) or may still have landed: the answer then waits for
        the feed, which reads the log to its end after the deadline, to find it or to confirm it absent.
        """
        write, bound = uuid.uuid4().hex, self.limits.write_timeout_s
        started = time.monotonic()
        stamped = replace(event, write=write, deadline=self.wall() + timedelta(seconds=bound / 2))
        self.pending.expect(stamped)
        try:
            self._publish([stamped], bound / 2)
        except WriteTimeout as exc:
            if not exc.maybe_sent:
                self.pending.wait(write, 0)
                raise WriteUnavailable(f"{exc}: nothing was changed, and this write will never apply") from exc
        except TransportError as exc:
            self.pending.wait(write, 0)
            raise WriteUnavailable(f"the directory did not take the write: {exc}; nothing was changed") from exc
        verdict = self.pending.wait(write, started + bound - time.monotonic())
        if verdict is None:
            raise WriteUnavailable("the broker did not confirm the write in time; it applies only if the broker "
                                   "appended it before its deadline: read the entity again",
                                   code="directory.unconfirmed")
        if verdict.outcome in (EXPIRED, ABSENT):
            raise WriteUnavailable(f"the directory did not take the write within {bound:g} s: nothing was changed, "
                                   "and this write will never apply")
        return verdict

    def _verdict(self, verdict: Verdict) -> None:
        self.pending.resolve(verdict)
        event = verdict.event
        if verdict.outcome not in (STALE, EXPIRED) or event.write not in self.pending.mine:
            return
        held = self.view.current(event.kind, event.entity.id)
        if held is not None and (not event.type.endswith(".reasserted") or held.version > event.entity.version):
            self._reassert(event, held)

    def _reassert(self, skipped: DirectoryEvent, held: Entity) -> None:
        """Our write was skipped: write the state every reader holds again, at its own version.

        On the compacted topic the last record of a key survives; were it the skipped one, a reader
        starting after compaction would rebuild the loser's state. The re-assertion carries the held
        state: readers that hold it skip it (not newer), a reader starting from a compacted log applies
        it. If a newer decision lands first, the re-assertion is skipped too and is written again.
        """
        issued = getattr(held, "grant", None) if skipped.kind == "application" else None
        grant = self.view.grants.get(issued) if isinstance(issued, str) else None
        write = uuid.uuid4().hex
        self.pending.mine.add(write)
        self.reasserts.append(DirectoryEvent(f"{skipped.kind}.reasserted", self.wall(), held, write=write,
                                             issued=grant))

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


def _skipped(message: Message, error: DirectoryError) -> None:
    """A bad directory event: the API skips it (the workers dead-letter it, once)."""
    log.warning("skipping invalid directory event at offset %d: %s", message.offset, error)


def conflict_message(verdict: Verdict) -> DirectoryError:
    """The 4xx for a write the log did not apply."""
    if verdict.outcome == STALE:
        return ConflictError(f"another decision on {verdict.event.key} came first; read it again",
                             code="conflict.concurrent")
    return DirectoryError(verdict.problem or "the directory refused the write", code="directory.invalid")
