"""Kill an exchange worker with SIGKILL mid-stream, start another: 0 lost and 0 duplicated deliveries
for read_committed consumers, across two worker processes sharing the load by partition."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.events import SourceEvent
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Reader
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import kafka_transport
from exchange.runtime.ledger import Produced
from loadtest.expected import expected_deliveries, terms_of
from loadtest.processes import Children
from producers.publish import EventFactory
from producers.world import World

pytestmark = pytest.mark.integration


def build_events(catalogue: Catalogue, topics: Topics, count: int) -> list[SourceEvent]:
    world = World("440106", catalogue, seed=21, clock_origin=datetime.now(UTC), pool_size=200)
    factory = EventFactory(catalogue, topics, random.Random(21))
    events: list[SourceEvent] = []
    departments = world.departments()
    while len(events) < count:
        for draft in world.chain(departments[len(events) % len(departments)], 0.0):
            events.append(factory.publication(draft, "440106", datetime.now(UTC)).event)
    return events[:count]


def as_produced(event: SourceEvent) -> Produced:
    envelope = event.envelope
    return Produced(envelope.id, envelope.resource, event.key.decode(), envelope.region, "440106",
                    envelope.department, envelope.action, event.timestamp_ms, event.timestamp_ms)


def produce_steadily(bootstrap: str, events: list[SourceEvent], per_second: float, sent: list[int]) -> None:
    publisher = Publisher(bootstrap)
    started = time.monotonic()
    for index, event in enumerate(events):
        while time.monotonic() - started < index / per_second:
            time.sleep(0.002)  # pacing the producer, not synchronising the test
        publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
        sent[0] = index + 1
    publisher.close()


def test_sigkill_of_a_worker_loses_and_duplicates_nothing(bootstrap: str, topics: Topics, catalogue: Catalogue,
                                                          tmp_path: Path, env_without_govx: dict[str, str]) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=4)
    events = build_events(catalogue, topics, 3000)
    expected = expected_deliveries([as_produced(e) for e in events],
                                   terms_of(read_directory(kafka_transport(bootstrap), topics, catalogue)))
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes({_node(consumer) for _, consumer in expected}))
    admin.close()
    env = {**env_without_govx, "GOVX_BOOTSTRAP_SERVERS": bootstrap, "GOVX_TOPIC_NAMESPACE": topics.namespace,
           "GOVX_EXCHANGE_GROUP": f"{topics.namespace}-x", "GOVX_METRICS_HOST": "127.0.0.1"}
    children = Children(env, tmp_path / "logs")
    try:
        workers = [children.start(f"w{i}", "exchange", ["exchange", "--worker-id", str(i), "--metrics-port", "0",
                                                        "--max-batch", "200"]) for i in (0, 1)]
        children.wait_ready(workers)
        sent = [0]
        producer = threading.Thread(target=produce_steadily, args=(bootstrap, events, 600.0, sent))
        producer.start()
        while sent[0] < len(events) // 3:
            time.sleep(0.01)  # waiting for the producer to be a third of the way through
        os.kill(workers[0].process.pid, signal.SIGKILL)
        workers[0].process.wait(10)
        replacement = children.start("w0-again", "exchange", ["exchange", "--worker-id", "0", "--metrics-port", "0"])
        children.wait_ready([replacement])
        producer.join(60)
        positions = read_all_deliveries(bootstrap, topics, expected)
        started = time.monotonic()
        children.stop([workers[1], replacement], timeout_s=30)
        assert [workers[1].process.returncode, replacement.process.returncode] == [0, 0]  # SIGTERM: a clean exit
        assert time.monotonic() - started < 30
    finally:
        children.stop_all()
    got = set(positions)
    assert not expected - got, f"{len(expected - got)} deliveries lost"
    assert not got - expected, f"{len(got - expected)} unexpected deliveries"
    duplicated = {pair: places for pair, places in positions.items() if len(places) > 1}
    assert not duplicated, (f"{len(duplicated)} deliveries duplicated: "
                            f"{describe_duplicates(bootstrap, topics, duplicated, tmp_path)}")
    assert len(expected) > 6000


def _node(consumer: str):  # type: ignore[no-untyped-def]
    from exchange.core.directory import Node

    return Node.parse(consumer)


def read_all_deliveries(bootstrap: str, topics: Topics, expected: set[tuple[str, str]],
                        timeout_s: float = 180.0) -> dict[tuple[str, str], set[tuple[str, int, int]]]:
    admin = Admin(bootstrap)
    inboxes = sorted(t for t in admin.topics() if t.startswith(f"{topics.namespace}.dlv."))
    admin.close()
    reader = Reader(bootstrap, inboxes)
    positions: dict[tuple[str, str], set[tuple[str, int, int]]] = defaultdict(set)
    deadline = time.monotonic() + timeout_s
    try:
        while not expected <= set(positions) and time.monotonic() < deadline:
            for message in reader.poll(500):
                headers = dict(message.headers)
                pair = (headers["ce_id"].decode(), headers["govx_consumer"].decode())
                positions[pair].add((message.topic, message.partition, message.offset))
        for message in reader.read_to_end(30):
            headers = dict(message.headers)
            positions[(headers["ce_id"].decode(), headers["govx_consumer"].decode())].add(
                (message.topic, message.partition, message.offset))
    finally:
        reader.close()
    return positions


def describe_duplicates(bootstrap: str, topics: Topics, duplicated: dict[tuple[str, str], set[tuple[str, int, int]]],
                        tmp_path: Path) -> str:
    """Where the copies are: the inbox positions, their distance, and the source event's position."""
    admin = Admin(bootstrap)
    sources = sorted(t for t in admin.topics() if t.startswith(f"{topics.namespace}.src."))
    admin.close()
    reader = Reader(bootstrap, sources)
    try:
        at: dict[str, list[tuple[str, int, int]]] = defaultdict(list)
        for m in reader.read_to_end(30):
            at[dict(m.headers)["ce_id"].decode()].append((m.topic, m.partition, m.offset))
    finally:
        reader.close()
    lines = []
    for (event, consumer), places in sorted(duplicated.items(), key=lambda item: sorted(item[1])):
        ordered = sorted(places)
        gaps = [b[2] - a[2] if a[:2] == b[:2] else None for a, b in zip(ordered, ordered[1:], strict=False)]
        lines.append(f"{event} -> {consumer}: {ordered} gaps {gaps} from source {at.get(event)}")
    (tmp_path / "duplicates.txt").write_text("\n".join(lines))
    return "\n" + "\n".join(lines[:40])
