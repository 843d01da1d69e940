"""A second worker joins while the first holds an open transaction: the first aborts it once its
partitions are revoked, both re-read from the committed offsets, and read_committed consumers get
every delivery exactly once (on whichever Kafka client the suite runs)."""

from __future__ import annotations

import time
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from exchange.core.catalogue import Catalogue
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import kafka_transport
from exchange.runtime.metrics import Metrics
from loadtest.expected import expected_deliveries, terms_of
from tests.integration.kafka_helpers import running_worker
from tests.integration.test_exactly_once import _node, as_produced, build_events, read_all_deliveries

pytestmark = pytest.mark.integration
LONG_TRANSACTION: dict[str, Any] = {"transaction_events": 100_000, "transaction_ms": 15_000,
                                   "commit_when_drained": False}


def _until(what: str, condition: object, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout_s} s")
        time.sleep(0.05)  # polling a condition, not synchronising on time


def test_a_rebalance_aborts_the_open_transaction_and_loses_or_duplicates_nothing(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=4)
    events = build_events(catalogue, topics, 400)
    expected = expected_deliveries([as_produced(e) for e in events],
                                   terms_of(read_directory(kafka_transport(bootstrap), topics, catalogue)))
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes({_node(consumer) for _, consumer in expected}))
    admin.close()
    metrics = Metrics(CollectorRegistry())
    with running_worker(bootstrap, topics, "0", metrics, **LONG_TRANSACTION) as first:
        publisher = Publisher(bootstrap)
        for event in events:
            publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
        publisher.close()
        _until("the first worker has events in its open transaction",
               lambda: len(first.transactions.window.outcomes) > 0)
        with running_worker(bootstrap, topics, "1", transaction_ms=200):
            _until("the revocation aborted the open transaction",
                   lambda: (metrics.registry.get_sample_value("govx_transactions_total", {"result": "aborted"})
                            or 0) >= 1)
            positions = read_all_deliveries(bootstrap, topics, expected, timeout_s=90)
        # aborted because the revocation unsettled it, not by a failed commit
        assert (metrics.registry.get_sample_value("govx_exchange_recoveries_total", {"action": "rebalance"}) or 0) >= 1
    got = set(positions)
    assert not expected - got, f"{len(expected - got)} deliveries lost"
    assert not got - expected, f"{len(got - expected)} unexpected deliveries"
    duplicated = {pair: places for pair, places in positions.items() if len(places) > 1}
    assert not duplicated, f"{len(duplicated)} deliveries duplicated"
