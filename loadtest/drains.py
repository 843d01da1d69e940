"""The drains `govx bench exchange` times: bare copies, the reference router, govx's workers.

Every drain reads the same source topics from the start under its own consumer group and returns
the seconds from its first record to its last commit. Copies and the reference router run in this
process; govx's workers run as `govx exchange` processes (1 or more, sharing the group), timed from
the first record they wrote (its CreateTime) to the moment the group's committed offsets reach the
end of the sources.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from exchange.core.decide import Exchange
from exchange.core.message import Message
from exchange.core.topics import Topics, TopicSpec
from exchange.kafka.reference_router import reference_route
from exchange.kafka.transport import GroupConsumer, Transport, closed_after, kafka_transport
from loadtest.processes import Children


def next_offsets(batch: list[Message]) -> dict[tuple[str, int], int]:
    """The offset to commit per partition: one past the last message consumed."""
    return {(m.topic, m.partition): m.offset + 1 for m in batch}


def _drain(subscriber: GroupConsumer, total: int, handle: Callable[[list[Message]], None]) -> float:
    """Seconds from the first record consumed to the last one handled."""
    done, started = 0, None
    while done < total:
        batch = subscriber.poll(timeout_ms=500, max_records=500)
        if batch and started is None:
            started = time.perf_counter()
        if batch:
            handle(batch)
            done += len(batch)
    return time.perf_counter() - (started or time.perf_counter())


def bare_copy(transport: Transport, topics: Topics, total: int, transactional: bool, name: str) -> float:
    """Copy every source record unchanged to one topic: flush and commit per poll, or one transaction per poll."""
    target = f"{topics.namespace}.copy-{name}"
    with closed_after(transport.admin()) as admin:
        admin.ensure_topics([TopicSpec(target, 3)])
    group = f"{topics.namespace}-{name}"
    producer = transport.transactional(f"{group}-tx") if transactional else transport.producer()
    with closed_after(transport.subscriber(topics.source_pattern, group)) as subscriber, closed_after(producer):

        def copy(batch: list[Message]) -> None:
            if transactional:
                producer.begin()  # type: ignore[attr-defined]
            producer.send_batch((target, m.value, m.key, m.headers) for m in batch)
            if transactional:
                producer.commit(next_offsets(batch), subscriber)  # type: ignore[attr-defined]
            else:
                producer.flush()
                subscriber.commit()

        return _drain(subscriber, total, copy)


def reference(bootstrap: str, topics: Topics, exchange: Exchange, total: int, *, audit_per_delivery: bool,
              round_no: int = 0) -> float:
    """The hand-written confluent-kafka router on the same core, 500 events per transaction."""
    group = f"{topics.namespace}-ref-{'d' if audit_per_delivery else 'e'}{round_no}"
    return reference_route(bootstrap, topics, exchange, total, group=group, audit_per_delivery=audit_per_delivery)


def workers(bootstrap: str, topics: Topics, total: int, *, client: str, count: int, group: str,
            transaction_events: int = 5000, transaction_ms: int = 1000) -> float:
    """`count` worker processes on `client`; seconds from their first record written to the group's last commit."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GOVX_")}
    env.update(GOVX_BOOTSTRAP_SERVERS=bootstrap, GOVX_TOPIC_NAMESPACE=topics.namespace, GOVX_EXCHANGE_GROUP=group,
               GOVX_KAFKA_CLIENT=client, GOVX_METRICS_PORT="0", GOVX_TRANSACTION_EVENTS=str(transaction_events),
               GOVX_TRANSACTION_MS=str(transaction_ms))
    children = Children(env, Path(tempfile.mkdtemp(prefix="govx-bench-")))
    transport = kafka_transport(bootstrap, client=client)
    launched = time.time()
    try:
        started = [children.start(f"worker-{i}", "exchange", ["exchange", "--worker-id", str(i),
                                                               "--log-level", "WARNING"]) for i in range(count)]
        children.wait_ready(started)
        finished = _committed_all(transport, group, total, children)
    finally:
        children.stop_all()
    return finished - _first_written(transport, topics, launched)


def _committed_all(transport: Transport, group: str, total: int, children: Children,
                   timeout_s: float = 600.0) -> float:
    """The wall-clock time (s) at which `group` has committed every source record."""
    deadline = time.monotonic() + timeout_s
    with closed_after(transport.admin()) as admin:
        while sum(admin.committed(group).values()) < total:
            if time.monotonic() > deadline or not all(child.running() for child in children.all):
                raise RuntimeError(f"the workers of {group} did not commit {total} events")
            time.sleep(0.1)  # the committed offsets are read 10 times a second: ±0.1 s on the drain
    return time.time()


def _first_written(transport: Transport, topics: Topics, since: float) -> float:
    """The CreateTime (s) of the first record written after `since` (audit or dead letter): the workers' first."""
    with closed_after(transport.reader([topics.audit, topics.dlq])) as reader:
        written = reader.read_to_end(60.0)
    return min(m.timestamp_ms for m in written if m.timestamp_ms >= since * 1000) / 1000
