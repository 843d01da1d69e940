"""What one exchange batch adds to the metrics: counted per label set, once per batch, not per event."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Mapping

from prometheus_client import Counter as LabelledCounter

from exchange.core.decide import Outcome
from exchange.runtime.metrics import Metrics

Lag = Mapping[tuple[str, int], tuple[int, int | None]]


def count_batch(metrics: Metrics, outcomes: list[Outcome], committed_ms: int, seconds: float = 0.0) -> None:
    """Count a committed transaction: its size and duration (`seconds`), events, deliveries, skips, dead
    letters and end-to-end latency (observed per resource, the label looked up once per transaction)."""
    metrics.transactions.labels("committed").inc()
    metrics.batch_seconds.observe(seconds)
    metrics.batch_events.observe(len(outcomes))
    latencies: dict[str, list[float]] = {}
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
            latencies.setdefault(resource, []).append(max(committed_ms - outcome.message.timestamp_ms, 0) / 1000)
    for resource, seconds_each in latencies.items():
        histogram = metrics.latency.labels(resource)
        for latency in seconds_each:
            histogram.observe(latency)
    _add(metrics.events_consumed, consumed)
    _add(metrics.deliveries, delivered)
    _add(metrics.skips, skipped)
    _add(metrics.dead_letters, dead)


class LagReporter:
    """Sets the consumer-lag gauges of one group from a consumer's view of its partitions."""

    def __init__(self, metrics: Metrics, group: str) -> None:
        self._metrics, self._group = metrics, group
        self._topics: set[str] = set()
        self._reported = 0.0

    def report_due(self, lag: Callable[[], Lag], every_s: float = 1.0) -> None:
        """Report `lag()` if `every_s` have passed since the last report."""
        now = time.monotonic()
        if now - self._reported >= every_s:
            self.report(lag())
            self._reported = now

    def report(self, lag: Lag, now_ms: int | None = None) -> None:
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        per_topic: dict[str, tuple[int, float]] = {}
        for (topic, _), (behind, last_ms) in lag.items():
            age = (now_ms - last_ms) / 1000 if behind and last_ms is not None else 0.0
            records, seconds = per_topic.get(topic, (0, 0.0))
            per_topic[topic] = (records + behind, max(seconds, age))
        for topic, (records, seconds) in per_topic.items():
            self._metrics.lag_records.labels(self._group, topic).set(records)
            self._metrics.lag_seconds.labels(self._group, topic).set(seconds)
        for topic in self._topics - set(per_topic):  # partitions this worker no longer holds
            self._metrics.lag_records.remove(self._group, topic)
            self._metrics.lag_seconds.remove(self._group, topic)
        self._topics = set(per_topic)


def _add(counter: LabelledCounter, counts: Mapping[tuple[str, ...], int]) -> None:
    for labels, value in counts.items():
        counter.labels(*labels).inc(value)
