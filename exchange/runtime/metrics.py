"""The one metrics bundle of govx, created on an explicit `CollectorRegistry`.

Names start with `govx_`, carry their base unit, counters end in `_total`, latencies are
histograms with explicit buckets, and labels stay bounded: resource, department, region level,
decision, reason — never a person, a record or an event id. `deploy/` (dashboard, alert rules)
uses exactly these names; `docs/operations.md` explains each.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from exchange.errors import AuthorizationError

LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
BATCH_BUCKETS_S = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_SIZE_BUCKETS = (1, 5, 10, 25, 50, 100, 250, 500, 1000, 2000, 5000, 10000)


@contextmanager
def counting_refusals(metrics: Metrics) -> Iterator[None]:
    """Count an `AuthorizationError` raised in the block by its operation, and let it through."""
    try:
        yield
    except AuthorizationError as refusal:
        metrics.authorization_failures.labels(refusal.operation).inc()
        raise


class Metrics:
    """Every series govx exports; each process uses the ones that concern it."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry
        self._exchange(registry)
        self._directory(registry)
        self._edges(registry)

    def _exchange(self, registry: CollectorRegistry) -> None:
        self.events_consumed = Counter(
            "govx_events_consumed_total", "Source events the exchange consumed.", ["resource"], registry=registry)
        self.deliveries = Counter(
            "govx_deliveries_total", "Records delivered to consumer inboxes, by how much of the record went.",
            ["resource", "consumer_department", "consumer_level", "decision"], registry=registry)
        self.skips = Counter(
            "govx_skips_total", "Event-consumer pairs not delivered, by reason (not errors).",
            ["resource", "reason"], registry=registry)
        self.dead_letters = Counter(
            "govx_dead_letters_total", "Events sent to the dead-letter topic, by resource (`unknown` when the "
            "directory lists none of that name, `directory` for directory events) and reason code.",
            ["resource", "reason"], registry=registry)
        self.latency = Histogram(
            "govx_end_to_end_latency_seconds", "Event time (intended send) to delivery by the exchange.",
            ["resource"], buckets=LATENCY_BUCKETS_S, registry=registry)
        self.batch_seconds = Histogram(
            "govx_batch_processing_seconds", "Exchange time per transaction: from its first event to its commit.",
            buckets=BATCH_BUCKETS_S, registry=registry)
        self.batch_events = Histogram(
            "govx_batch_size_events", "Events per exchange transaction.", buckets=BATCH_SIZE_BUCKETS, registry=registry)
        self.transactions = Counter(
            "govx_transactions_total", "Exchange transactions, by result.", ["result"], registry=registry)
        self.authorization_failures = Counter(
            "govx_authorization_failures_total", "Requests the broker refused this principal (wrong password or "
            "no ACL), by operation.", ["operation"], registry=registry)
        self.transaction_open_seconds = Gauge(
            "govx_exchange_transaction_open_seconds", "How long the worker's current transaction has been open "
            "(0 between transactions); it keeps growing while a Kafka call hangs.", registry=registry)
        self.recoveries = Counter(
            "govx_exchange_recoveries_total", "Failed transactions the worker recovered from, by how: `abort` "
            "(aborted, re-read), `rebuild` (new transactional producer, re-read) or `rebalance` (partitions taken "
            "away from an open transaction: aborted, re-read).", ["action"], registry=registry)
        self.lag_records = Gauge(
            "govx_consumer_lag_records", "Records not yet consumed, per consumer group and topic.",
            ["group", "topic"], registry=registry)
        self.lag_seconds = Gauge(
            "govx_consumer_lag_seconds", "Age of the newest consumed record while records remain behind it.",
            ["group", "topic"], registry=registry)

    def _directory(self, registry: CollectorRegistry) -> None:
        self.grants_active = Gauge(
            "govx_grants_active", "Grants compiled into routes (not revoked, eligible for the resource's sharing "
            "type), per resource.", ["resource"], registry=registry)
        self.applications_pending = Gauge(
            "govx_applications_pending", "Sharing applications waiting for the provider's decision.",
            registry=registry)
        self.applications_overdue = Gauge(
            "govx_applications_overdue", "Pending applications past their deadline in working days.",
            registry=registry)
        self.directory_events = Counter(
            "govx_directory_events_total", "Directory events applied, by type.", ["type"], registry=registry)
        self.rules_generation = Gauge(
            "govx_rules_generation", "How many times the exchange recompiled its rules.", registry=registry)

    def _edges(self, registry: CollectorRegistry) -> None:
        self.produced = Counter(
            "govx_produced_events_total", "Events the department simulators produced, valid or deliberately bad.",
            ["resource", "kind"], registry=registry)
        self.received = Counter(
            "govx_received_total", "Deliveries the department receivers read.", ["consumer_department"],
            registry=registry)
        self.receiver_violations = Counter(
            "govx_receiver_violations_total", "Deliveries carrying more than their grant allows.",
            ["consumer_department"], registry=registry)
        self.api_requests = Counter(
            "govx_api_requests_total", "Directory API requests, by route and status class.",
            ["route", "status"], registry=registry)
        self.api_latency = Histogram(
            "govx_api_request_seconds", "Directory API request time.", ["route"],
            buckets=LATENCY_BUCKETS_S, registry=registry)
