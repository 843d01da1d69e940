"""The exchange worker (`govx exchange`): consume, decide, deliver — in Kafka transactions.

A transaction takes the batches polled until it is due — `transaction_events` events, `transaction_ms`
since it began, or a poll that comes back short — and holds their deliveries, usage records, dead
letters and consumed offsets (read-process-write, KIP-447 fencing by group metadata). A worker killed with
SIGKILL leaves an open transaction that is aborted when its transactional id is reused or
times out; its partitions are re-read from the last committed offsets, so `read_committed`
consumers see every delivery exactly once. Workers share the load by partition; the directory
is polled between batches so changes apply without a restart. A batch that fails — a broker down,
the transaction coordinator moving, the producer fenced or past a deadline — is settled before
the next poll (aborted or the producer rebuilt, then re-read from the committed offsets), and a
worker that cannot recover within `give_up_s` exits with the reason (`exchange/recovery.py`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass

from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange, Moment
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.core.rules import Rules
from exchange.core.topics import Topics
from exchange.emit import emit
from exchange.errors import DirectoryError, InvalidEvent, TransportError
from exchange.kafka.directory_feed import DirectoryFeed
from exchange.kafka.directory_guard import dead_letter_once
from exchange.kafka.inboxes import Inboxes
from exchange.kafka.schema_feed import SchemaPublisher
from exchange.kafka.transport import TransactionalProducer, Transport, closed_after
from exchange.recovery import Transactions
from exchange.runtime.exchange_meter import LagReporter, count_batch
from exchange.runtime.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """How one worker runs."""

    worker_id: str
    group: str = "govx-exchange"
    namespace: str = "gov"
    poll_ms: int = 200
    max_batch: int = 500  # events per poll
    transaction_events: int = 5000  # a transaction commits after this many events …
    transaction_ms: int = 1000  # … or this many ms after its first …
    commit_when_drained: bool = True  # … or when a poll comes back short, whichever comes first
    inbox_partitions: int = 1
    transaction_timeout_ms: int = 15000
    join_timeout_s: float = 30.0
    give_up_s: float = 120.0
    batch_delay_s: float = 0.0  # testing only: a planted slowdown per batch (docs/load-testing.md)

    def throttle(self) -> None:
        """Hold the batch in hand for `batch_delay_s` (testing only: a slower exchange, on purpose)."""
        if self.batch_delay_s:
            time.sleep(self.batch_delay_s)


class Worker:
    """One member of the exchange's consumer group."""

    def __init__(self, config: WorkerConfig, metrics: Metrics, transport: Transport, *,
                 clock: Callable[[], Moment] = Moment.now) -> None:
        self.config = config
        self.metrics = metrics
        self.transport = transport
        self._clock = clock
        self.topics = Topics(config.namespace)
        self.view = DirectoryView({})
        self.rules = Rules(SchemaRegistry(), self.topics)
        self.exchange = Exchange(self.rules)
        self._lag = LagReporter(metrics, config.group)
        self._clients = ExitStack()

    def run(self, stop: threading.Event, ready: Callable[[], None] | None = None) -> None:
        """Work until `stop` is set; finish the batch in hand, then leave the group.

        `ready` is called once the worker holds partitions (or has waited `join_timeout_s`), so a
        supervisor can start producing without paying for the group join in measured latency.
        """
        self.open()
        try:
            joined_by = time.monotonic() + self.config.join_timeout_s
            while not stop.is_set() and not self.holds_partitions() and time.monotonic() < joined_by:
                self._step_or_wait(stop)
            if ready is not None:
                ready()
            while not stop.is_set():
                self._step_or_wait(stop)
            self.finish()
        finally:
            self.close()

    def open(self) -> None:
        """Connect: read the directory, compile the rules, start the producer and join the group.

        Every client opened is closed by `close()`, also when a later one fails to open.
        """
        config, transport, clients = self.config, self.transport, self._clients
        with ExitStack() as opening:
            self.admin = opening.enter_context(closed_after(transport.admin()))
            self.admin.ensure_topics(self.topics.control(1))
            self.control = opening.enter_context(closed_after(transport.producer()))
            self.schemas = SchemaPublisher(self.control, self.topics.schemas)
            self.feed = opening.enter_context(closed_after(DirectoryFeed(
                transport.reader([self.topics.directory]), self.view, on_invalid=self._dead_letter_directory_event,
                on_event=lambda event: self.metrics.directory_events.labels(event.type).inc())))
            self._recompile(self.feed.catch_up())
            self.metrics.dead_letters.labels("directory", "directory.invalid")  # the alert needs the series
            self.transactions = opening.enter_context(closed_after(Transactions(
                transport, f"{config.group}-{config.worker_id}", self.metrics, max_events=config.transaction_events,
                max_ms=config.transaction_ms, transaction_timeout_ms=config.transaction_timeout_ms,
                give_up_s=config.give_up_s)))
            self.inboxes = Inboxes(self.admin, config.inbox_partitions)
            self.inboxes.learn({r.topic for rules in self.rules.all() for r in rules.routes},
                               self.transactions.open())
            self.subscriber = opening.enter_context(closed_after(transport.subscriber(
                self.topics.source_pattern, config.group, on_revoke=self.transactions.revoked,
                metadata_max_age_ms=5000, max_poll_interval_ms=60000, session_timeout_ms=10000,
                heartbeat_interval_ms=1000)))
            clients.push(opening.pop_all())

    def holds_partitions(self) -> bool:
        """Whether the group has assigned this worker any source partition yet."""
        return bool(self.subscriber.assignment())

    def close(self) -> None:
        """Leave the group and close every client (the last opened first), logging what fails on the way."""
        self._clients.close()

    def _step_or_wait(self, stop: threading.Event) -> None:
        """One step; a retriable cluster error (broker restarting, coordinator moving) is waited out,
        up to `give_up_s` — the next step first re-reads the batch that failed (`exchange/recovery.py`)."""
        try:
            self.step()
        except TransportError as exc:
            self.transactions.failed(exc)
            log.warning("the cluster did not answer, retrying in 1 s: %s", exc)
            stop.wait(1.0)
        else:
            self.transactions.succeeded()

    def step(self) -> None:
        """Apply directory changes, settle what failed, consume one batch into the transaction in hand,
        and commit it when due."""
        changed = self.feed.poll(0)
        if changed:
            self._recompile(changed)
        transactions, window = self.transactions, self.transactions.window
        transactions.settle(self.subscriber)
        wanted = min(self.config.max_batch, window.room())
        batch = self.subscriber.poll(timeout_ms=window.wait_ms(self.config.poll_ms), max_records=wanted)
        if transactions.rebalanced():  # the batch came with a new assignment: abort, re-read from the commits
            log.info("a rebalance took partitions of the open transaction; re-reading from the committed offsets")
            transactions.settle(self.subscriber)
            return
        if batch:
            transactions.polled()
            self._process(batch)
        if window.due(drained=self.config.commit_when_drained and len(batch) < wanted):
            self._commit()
        self._lag.report_due(self.subscriber.lag)  # lag is for dashboards: once a second is plenty

    def finish(self) -> None:
        """Commit the transaction in hand before leaving the group — unless the last step failed, which
        leaves part of a batch in it: then, as when the commit fails, abort it (re-read by the
        partitions' next owner)."""
        try:
            self.transactions.settle(self.subscriber)  # acts only after a failed step
            if self.transactions.window.open:
                self._commit()
        except TransportError as exc:
            log.warning("the last transaction did not commit, aborting it: %s", exc)
            try:
                self.transactions.settle(self.subscriber, now=True)
            except TransportError as again:  # the broker aborts it when its timeout passes
                log.warning("the abort failed too: %s", again)

    def _recompile(self, resource_ids: set[str]) -> None:
        self.rules.update(self.view, resource_ids)
        self.schemas.publish(self.rules.registry)
        self.metrics.rules_generation.set(self.rules.generation)
        for rules in self.rules.all():
            self.metrics.grants_active.labels(rules.resource.id).set(len(rules.routes))

    def _process(self, batch: list[Message]) -> None:
        at = self._clock()
        outcomes = [self.exchange.process(message, at) for message in batch]
        self.inboxes.ensure(d.route.topic for o in outcomes for d in o.deliveries)

        def send(producer: TransactionalProducer) -> None:
            emit(producer, outcomes, self.topics, at)
            self.config.throttle()

        self.transactions.add(send, batch, outcomes, self.subscriber)

    def _commit(self) -> None:
        outcomes, seconds = self.transactions.commit()
        count_batch(self.metrics, outcomes, self._clock().ms, seconds)

    def _dead_letter_directory_event(self, message: Message, error: DirectoryError) -> None:
        """Skip a bad directory event; whichever worker is first dead-letters (and counts) it, once."""
        log.error("skipping invalid directory event at offset %d: %s", message.offset, error)
        invalid = InvalidEvent(f"{error.code}: {error}", reason="directory.invalid")
        if dead_letter_once(self.transport, self.config.group, self.topics.dlq, message, invalid):
            self.metrics.dead_letters.labels("directory", "directory.invalid").inc()


