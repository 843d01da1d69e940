"""The exchange worker (`govx exchange`): consume, decide, deliver — in Kafka transactions.

Each batch is one transaction holding its deliveries, usage records, dead letters and the
consumed offsets (read-process-write, KIP-447 fencing by group metadata). A worker killed with
SIGKILL leaves an open transaction that is aborted when its transactional id is reused or
times out; its partitions are re-read from the last committed offsets, so `read_committed`
consumers see every delivery exactly once. Workers share the load by partition; the directory
is polled between batches so changes apply without a restart.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from prometheus_client import Counter as LabelledCounter

from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange, Moment, Outcome, dead_letter_headers, usage_record
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.core.rules import Rules
from exchange.core.topics import Topics, TopicSpec
from exchange.errors import DirectoryError, TransportError
from exchange.kafka.admin import Admin
from exchange.kafka.client import Partition, Publisher, Subscriber, TransactionalPublisher
from exchange.kafka.directory_feed import DirectoryFeed
from exchange.kafka.schema_feed import SchemaPublisher
from exchange.runtime.metrics import Metrics

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WorkerConfig:
    """How one worker runs."""

    bootstrap: str
    worker_id: str
    group: str = "govx-exchange"
    namespace: str = "gov"
    poll_ms: int = 200
    max_batch: int = 500
    inbox_partitions: int = 1
    transaction_timeout_ms: int = 15000
    join_timeout_s: float = 30.0
    batch_delay_s: float = 0.0  # testing only: a planted slowdown per batch (docs/load-testing.md)

    def throttle(self) -> None:
        """Hold the batch in hand for `batch_delay_s` (testing only: a slower exchange, on purpose)."""
        if self.batch_delay_s:
            time.sleep(self.batch_delay_s)


def next_offsets(batch: Iterable[Message]) -> dict[Partition, int]:
    """The offset to commit per partition: one past the last message consumed."""
    offsets: dict[Partition, int] = {}
    for message in batch:
        offsets[(message.topic, message.partition)] = message.offset + 1
    return offsets


class Worker:
    """One member of the exchange's consumer group."""

    def __init__(self, config: WorkerConfig, metrics: Metrics, *, clock: Callable[[], Moment] = Moment.now) -> None:
        self.config = config
        self.metrics = metrics
        self._clock = clock
        self.topics = Topics(config.namespace)
        self.view = DirectoryView({})
        self.rules = Rules(SchemaRegistry(), self.topics)
        self.exchange = Exchange(self.rules)
        self._known_topics: set[str] = set()
        self._lag_topics: set[str] = set()
        self._lag_reported = 0.0

    def run(self, stop: threading.Event, ready: Callable[[], None] | None = None) -> None:
        """Work until `stop` is set; finish the batch in hand, then leave the group.

        `ready` is called once the worker holds partitions (or has waited `join_timeout_s`), so a
        supervisor can start producing without paying for the group join in measured latency.
        """
        self.open()
        try:
            joined_by = time.monotonic() + self.config.join_timeout_s
            while not stop.is_set() and not self.subscriber.assignment() and time.monotonic() < joined_by:
                self._step_or_wait(stop)
            if ready is not None:
                ready()
            while not stop.is_set():
                self._step_or_wait(stop)
        finally:
            self.close()

    def open(self) -> None:
        """Connect: read the directory, compile the rules, start the producer and join the group."""
        config = self.config
        self.admin = Admin(config.bootstrap)
        self.admin.ensure_topics(self.topics.control(1))
        self.control = Publisher(config.bootstrap)
        self.schemas = SchemaPublisher(self.control, self.topics.schemas)
        self.feed = DirectoryFeed(config.bootstrap, self.view, self.topics.directory,
                                  on_invalid=self._dead_letter_directory_event,
                                  on_event=lambda event: self.metrics.directory_events.labels(event.type).inc())
        self._recompile(self.feed.catch_up())
        if config.worker_id == "0":  # the directory guard: its alert needs the series from the start
            self.metrics.dead_letters.labels("directory", "directory.invalid")
        self.producer = TransactionalPublisher(config.bootstrap, f"{config.group}-{config.worker_id}",
                                               transaction_timeout_ms=config.transaction_timeout_ms)
        self._prepare_inboxes()
        self.subscriber = Subscriber(config.bootstrap, self.topics.source_pattern, config.group,
                                     metadata_max_age_ms=5000, max_poll_interval_ms=60000,
                                     session_timeout_ms=10000, heartbeat_interval_ms=1000)

    def close(self) -> None:
        """Leave the group and close every client, logging (not raising) what fails on the way."""
        for closer in (self.subscriber.close, self.producer.close, self.feed.close, self.control.close,
                       self.admin.close):
            try:
                closer()
            except TransportError as exc:
                log.warning("while closing: %s", exc)

    def _step_or_wait(self, stop: threading.Event) -> None:
        """One step; a retriable cluster error (broker restarting, leader moving) is waited out."""
        try:
            self.step()
        except TransportError as exc:
            if not exc.retriable:
                raise
            log.warning("the cluster did not answer, retrying in 1 s: %s", exc)
            stop.wait(1.0)

    def step(self) -> None:
        """Apply directory changes, then consume and deliver one batch."""
        changed = self.feed.poll(0)
        if changed:
            self._recompile(changed)
        batch = self.subscriber.poll(timeout_ms=self.config.poll_ms, max_records=self.config.max_batch)
        if batch:
            self._process(batch)
        now = time.monotonic()
        if now - self._lag_reported >= 1.0:  # lag is for dashboards: once a second is plenty
            self._report_lag()
            self._lag_reported = now

    def _recompile(self, resource_ids: set[str]) -> None:
        self.rules.update(self.view, resource_ids)
        self.schemas.publish(self.rules.registry)
        self.metrics.rules_generation.set(self.rules.generation)
        for rules in self.rules.all():
            self.metrics.grants_active.labels(rules.resource.id).set(len(rules.routes))

    def _process(self, batch: list[Message]) -> None:
        started = time.perf_counter()
        at = self._clock()
        outcomes = [self.exchange.process(message, at) for message in batch]
        self._ensure_inboxes(outcomes)
        try:
            self.producer.begin()
            for outcome in outcomes:
                self._emit(outcome, at)
            self.config.throttle()
            self.producer.commit(next_offsets(batch), self.subscriber)
        except TransportError as exc:
            self._abort(exc)
            return
        self._count(outcomes, self._clock().ms)
        self.metrics.batch_seconds.observe(time.perf_counter() - started)
        self.metrics.batch_events.observe(len(batch))

    def _emit(self, outcome: Outcome, at: Moment) -> None:
        message = outcome.message
        if outcome.dead_letter is not None:
            headers = dead_letter_headers(message, outcome.dead_letter)
            self.producer.send(self.topics.dlq, message.value, key=message.key, headers=headers)
            return
        event = outcome.envelope
        for delivery in outcome.deliveries:
            self.producer.send(delivery.route.topic, delivery.value, key=delivery.key, headers=delivery.headers)
            if event is not None:
                self.producer.send(self.topics.audit, usage_record(event, delivery, at), key=event.id.encode())

    def _prepare_inboxes(self) -> None:
        """Learn the inboxes that exist already, and their metadata, before the first batch."""
        routed = {route.topic for rules in self.rules.all() for route in rules.routes}
        existing = routed & self.admin.topics()
        self.producer.prepare(sorted(existing))
        self._known_topics |= existing

    def _ensure_inboxes(self, outcomes: list[Outcome]) -> None:
        wanted = {d.route.topic for o in outcomes for d in o.deliveries} - self._known_topics
        if wanted:
            specs = [TopicSpec(name, self.config.inbox_partitions) for name in sorted(wanted)]
            self.admin.ensure_topics(specs)
            self._known_topics |= wanted

    def _abort(self, exc: TransportError) -> None:
        self.metrics.transactions.labels("aborted").inc()
        log.warning("transaction aborted, batch will be read again: %s", exc)
        try:
            self.producer.abort()
        except TransportError as abort_failure:
            raise abort_failure from exc
        self.subscriber.rewind()
        if not exc.retriable:
            raise exc

    def _count(self, outcomes: list[Outcome], committed_ms: int) -> None:
        metrics = self.metrics
        metrics.transactions.labels("committed").inc()
        consumed: Counter[tuple[str, ...]] = Counter()
        delivered: Counter[tuple[str, ...]] = Counter()
        skipped: Counter[tuple[str, ...]] = Counter()
        dead: Counter[tuple[str, ...]] = Counter()
        for outcome in outcomes:
            resource = outcome.resource or "unknown"
            consumed[(resource,)] += 1
            if outcome.dead_letter is not None:
                dead[(resource, outcome.dead_letter.reason)] += 1
            for reason, count in outcome.skips.items():
                skipped[(resource, reason)] += count
            for delivery in outcome.deliveries:
                route = delivery.route
                delivered[(resource, route.consumer.department, route.consumer_level, route.decision)] += 1
            if outcome.deliveries:
                metrics.latency.labels(resource).observe(max(committed_ms - outcome.message.timestamp_ms, 0) / 1000)
        _add(metrics.events_consumed, consumed)
        _add(metrics.deliveries, delivered)
        _add(metrics.skips, skipped)
        _add(metrics.dead_letters, dead)

    def _report_lag(self) -> None:
        now_ms = int(time.time() * 1000)
        per_topic: dict[str, tuple[int, float]] = {}
        for (topic, _), (behind, last_ms) in self.subscriber.lag().items():
            age = (now_ms - last_ms) / 1000 if behind and last_ms is not None else 0.0
            records, seconds = per_topic.get(topic, (0, 0.0))
            per_topic[topic] = (records + behind, max(seconds, age))
        for topic, (records, seconds) in per_topic.items():
            self.metrics.lag_records.labels(self.config.group, topic).set(records)
            self.metrics.lag_seconds.labels(self.config.group, topic).set(seconds)
        for topic in self._lag_topics - set(per_topic):  # partitions this worker no longer holds
            self.metrics.lag_records.remove(self.config.group, topic)
            self.metrics.lag_seconds.remove(self.config.group, topic)
        self._lag_topics = set(per_topic)

    def _dead_letter_directory_event(self, message: Message, error: DirectoryError) -> None:
        """Skip a malformed directory event; worker 0 (the directory guard) dead-letters and counts it once."""
        log.error("skipping invalid directory event at offset %d: %s", message.offset, error)
        if self.config.worker_id != "0":
            return
        self.metrics.dead_letters.labels("directory", "directory.invalid").inc()
        headers = message.headers + (("govx_error", b"directory.invalid"),
                                     ("govx_error_detail", str(error).encode()),
                                     ("govx_source", f"{message.topic}/{message.partition}/{message.offset}".encode()))
        self.control.send(self.topics.dlq, message.value, key=message.key, headers=headers)
        self.control.flush()


def _add(counter: LabelledCounter, counts: Mapping[tuple[str, ...], int]) -> None:
    """Add a batch's counts to a labelled counter: one increment per label set, not per event."""
    for labels, value in counts.items():
        counter.labels(*labels).inc(value)
