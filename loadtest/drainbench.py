"""`govx bench exchange`: the exchange worker draining a topic, against a bare copy of the same topic.

The same standard mix (see `corebench`) is written to a fresh namespace's source topics once. Then,
each timed from its first record to its last commit, in the same process and on the same broker:

- **bare copy**: kafka-python at its plainest — one consumer group reads the sources and one
  idempotent producer copies every record unchanged to one topic, committing offsets after;
- **transactional copy**: the same, but in Kafka transactions of the worker's batch size
  (read-process-write, as the exchange does);
- **exchange**: one `Worker` deciding, delivering and auditing every event in its transactions.

The copies write one record per event; the exchange writes every delivery and its usage record,
so the report states records written per event too.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from prometheus_client import CollectorRegistry

from exchange.core.catalogue import load_catalogue
from exchange.core.decide import Moment
from exchange.core.message import Message
from exchange.core.testing import ExchangeDriver
from exchange.core.topics import Topics, TopicSpec
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Subscriber, TransactionalPublisher
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from exchange.runtime.metrics import Metrics
from exchange.worker import Worker, WorkerConfig, next_offsets
from loadtest.corebench import standard_mix


@dataclass(frozen=True)
class DrainBench:
    events: int
    bare_copy_events_per_s: float
    transactional_copy_events_per_s: float
    exchange_events_per_s: float
    exchange_records_per_event: float

    @property
    def ratio_to_bare(self) -> float:
        return self.exchange_events_per_s / self.bare_copy_events_per_s

    @property
    def ratio_to_transactional(self) -> float:
        return self.exchange_events_per_s / self.transactional_copy_events_per_s


def _fill(bootstrap: str, messages: list[Message]) -> None:
    publisher = Publisher(bootstrap, linger_ms=20)
    for message in messages:
        publisher.send(message.topic, message.value, key=message.key, headers=message.headers)
    publisher.close()


def _drain(subscriber: Subscriber, total: int, handle: Callable[[list[Message]], None]) -> float:
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


def bare_copy(bootstrap: str, topics: Topics, total: int, transactional: bool) -> float:
    target = f"{topics.namespace}.copy-{'tx' if transactional else 'bare'}"
    admin = Admin(bootstrap)
    admin.ensure_topics([TopicSpec(target, 3)])
    admin.close()
    group = f"{topics.namespace}-{target.rsplit('.', 1)[1]}"
    subscriber = Subscriber(bootstrap, topics.source_pattern, group)
    producer = (TransactionalPublisher(bootstrap, f"{group}-tx") if transactional else Publisher(bootstrap))

    def copy(batch: list[Message]) -> None:
        if isinstance(producer, TransactionalPublisher):
            producer.begin()
        for message in batch:
            producer.send(target, message.value, key=message.key, headers=message.headers)
        if isinstance(producer, TransactionalPublisher):
            producer.commit(next_offsets(batch), subscriber)
        else:
            producer.flush()
            subscriber.commit()

    try:
        return _drain(subscriber, total, copy)
    finally:
        subscriber.close()
        producer.close()


def exchange_drain(bootstrap: str, topics: Topics, total: int) -> tuple[float, float]:
    """Seconds for one worker to take every event, and the records it wrote per event."""
    metrics = Metrics(CollectorRegistry())
    worker = Worker(WorkerConfig("bench", group=topics.run_exchange_group, namespace=topics.namespace),
                    metrics, kafka_transport(bootstrap))
    worker.open()
    try:
        while not worker.holds_partitions():
            worker.step()
        started = time.perf_counter()
        while _total(metrics, "govx_events_consumed_total") < total:
            worker.step()
        seconds = time.perf_counter() - started
        written = _total(metrics, "govx_deliveries_total") * 2 + _total(metrics, "govx_dead_letters_total")
        return seconds, written / total
    finally:
        worker.close()


def _create_inboxes(bootstrap: str, topics: Topics, driver: ExchangeDriver, messages: list[Message]) -> None:
    """Create the inboxes the mix will reach before timing anything (as `govx run` does)."""
    at = Moment.now()
    consumers = {d.route.consumer for m in messages for d in driver.exchange.process(
        m._replace(topic=driver.rules.topics.source(m.topic.rsplit(".", 1)[1])), at).deliveries}
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes(consumers))
    admin.close()


def _total(metrics: Metrics, name: str) -> float:
    return sum(sample.value for family in metrics.registry.collect() for sample in family.samples
               if sample.name == name)


def measure_drain(bootstrap: str, events: int = 20_000, partitions: int = 3, seed: int = 1) -> DrainBench:
    catalogue = load_catalogue()
    topics = Topics(f"bench-{uuid.uuid4().hex[:8]}")
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=partitions)
    driver, messages = standard_mix(catalogue, events, seed=seed, topics=topics)
    _create_inboxes(bootstrap, topics, driver, messages)
    _fill(bootstrap, messages)
    try:
        bare = bare_copy(bootstrap, topics, len(messages), transactional=False)
        transactional = bare_copy(bootstrap, topics, len(messages), transactional=True)
        seconds, per_event = exchange_drain(bootstrap, topics, len(messages))
    finally:
        admin = Admin(bootstrap)
        admin.delete_topics(t for t in admin.topics() if t.startswith(f"{topics.namespace}."))
        admin.close()
    return DrainBench(len(messages), len(messages) / bare, len(messages) / transactional, len(messages) / seconds,
                      per_event)
