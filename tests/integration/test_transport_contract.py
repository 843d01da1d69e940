"""The recovery contract every transport honours (exchange/kafka/transport.py): a transaction call on a
cluster that does not answer returns within its deadline with `TransactionBroken` instead of waiting
for ever, and a new producer with the same transactional id then works, fencing the old one.

The broker is frozen (SIGSTOP) for a few seconds and always continued, so the session's other tests
find it as they left it. Every Kafka client govx runs on (`CLIENTS`) is tried, whichever the suite runs on.
"""

from __future__ import annotations

import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress

import pytest
from kafka import KafkaConsumer, TopicPartition
from prometheus_client import CollectorRegistry

from exchange.core.message import Message
from exchange.core.topics import Topics, TopicSpec
from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.kafka.transactional import TRANSACTION_DEADLINE_S
from exchange.kafka.transport import CLIENTS, GroupConsumer, TransactionalProducer, Transport, kafka_transport
from exchange.recovery import ReadUnder, Transactions
from exchange.runtime.metrics import Metrics
from exchange.runtime.settings import Settings

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning")]

TRANSPORTS: dict[str, Callable[[str], Transport]] = {
    client: (lambda bootstrap, client=client: kafka_transport(bootstrap, client=client))  # type: ignore[misc]
    for client in CLIENTS}


@contextmanager
def frozen(broker: LocalBroker) -> Iterator[None]:
    assert broker.signal(signal.SIGSTOP), "the test broker is not one govx started"
    try:
        yield
    finally:
        broker.signal(signal.SIGCONT)


@pytest.mark.parametrize("name", sorted(TRANSPORTS))
def test_a_commit_the_cluster_cannot_answer_breaks_within_its_deadline(
        name: str, bootstrap: str, settings: Settings, topics: Topics) -> None:
    transport = TRANSPORTS[name](bootstrap)
    admin = transport.admin()
    topic = f"{topics.namespace}.contract"
    admin.ensure_topics([TopicSpec(topic, 1)])
    transactional_id = f"{topics.namespace}-contract-{uuid.uuid4().hex[:6]}"
    group = transport.subscriber(f"^{topic}$", f"{topics.namespace}-contract")  # no offsets: never polled
    old = transport.transactional(transactional_id)
    old.begin()
    old.send(topic, b"maybe")
    with frozen(LocalBroker(BrokerLayout.from_settings(settings))):
        started = time.monotonic()
        with pytest.raises(TransactionBroken, match="did not finish within"):
            old.commit({}, group)
        took = time.monotonic() - started
    assert TRANSACTION_DEADLINE_S - 1 <= took <= TRANSACTION_DEADLINE_S + 5
    with suppress(TransportError):  # a broken producer may fail to close cleanly; it is gone either way
        old.close(0)
    commit_surely(rebuilt(transport, transactional_id), topic, group)  # fences the old epoch, resolves its transaction
    try:
        values = read_until_seen(transport, topic, b"surely")
    finally:
        group.close()
        admin.close()
    assert values.count(b"surely") == 1 and values.count(b"maybe") <= 1


def commit_surely(producer: TransactionalProducer, topic: str, group: GroupConsumer) -> None:
    """One transaction writing b"surely" to `topic` (no offsets), then the producer closed."""
    try:
        producer.begin()
        producer.send(topic, b"surely")
        producer.commit({}, group)
    finally:
        producer.close()


def rebuilt(transport: Transport, transactional_id: str, timeout_s: float = 60.0) -> TransactionalProducer:
    """A new producer with the id, retried as the worker retries it while the thawed broker's
    transaction coordinator loads (a retriable failure); anything else fails the test."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return transport.transactional(transactional_id)
        except TransportError as exc:
            if not exc.retriable or time.monotonic() > deadline:
                raise


def read_until_seen(transport: Transport, topic: str, value: bytes, timeout_s: float = 60.0) -> list[bytes | None]:
    """Every value on `topic` once `value` is among them (the commit markers land just after the commit returns)."""
    reader, values = transport.reader([topic]), list[bytes | None]()
    deadline = time.monotonic() + timeout_s
    try:
        while value not in values and time.monotonic() < deadline:
            values.extend(message.value for message in reader.poll(200))
        values.extend(message.value for message in reader.read_to_end(30))
    finally:
        reader.close()
    return values


def _until(condition: Callable[[], bool], what: str, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting until {what}"


def _joined(*members: GroupConsumer) -> None:
    """Poll every member until each holds one share of the partitions (a rebalance needs all of them to poll)."""
    def polled_all() -> bool:
        for member in members:
            member.poll(timeout_ms=100)
        held = [member.assignment() for member in members]
        return all(held) and sum(len(h) for h in held) == len(set().union(*held))
    _until(polled_all, "every member holds its share of the partitions")


def _committed(bootstrap: str, group: str, topic: str, partition: int) -> int | None:
    reader = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, isolation_level="read_committed",
                           enable_auto_commit=False)
    try:
        offset: int | None = reader.committed(TopicPartition(topic, partition), timeout_ms=30000)
        return offset
    finally:
        reader.close()


def _consumed(topic: str, partition: int, offset: int) -> Message:
    return Message(topic, partition, offset, None, b"input", (), 0)


def _one_record(topic: str, partition: int) -> Callable[[TransactionalProducer], None]:
    return lambda producer: producer.send(topic, b"output", key=str(partition).encode())


# kafka-python's holes, and its group metadata's fields (librdkafka's are opaque): on kafka-python only
def test_a_consumer_that_lost_its_membership_commits_no_offsets(bootstrap: str, topics: Topics) -> None:
    """kafka-python reports a consumer the group no longer counts as generation -1 without a member id, which
    the broker takes as an unfenced commit: the offsets of a partition another member owns would be overwritten."""
    transport = TRANSPORTS["kafka-python"](bootstrap)
    admin = transport.admin()
    topic, group = f"{topics.namespace}.lapsed", f"{topics.namespace}-lapsed"
    admin.ensure_topics([TopicSpec(topic, 1)])
    lapsed = transport.subscriber(f"^{topic}$", group, session_timeout_ms=6000, heartbeat_interval_ms=500,
                                  max_poll_interval_ms=1000)
    owner = transport.subscriber(f"^{topic}$", group)
    producer = transport.transactional(f"{topics.namespace}-lapsed")
    try:
        _joined(lapsed)
        _until(lambda: lapsed.group_metadata().generation_id < 0, "the unpolled consumer has left its group")
        _joined(owner)
        producer.begin()
        producer.send(topic, b"output of a batch read before the membership lapsed")
        with pytest.raises(TransportError, match="not a member of its group"):
            producer.commit({(topic, 0): 1}, ReadUnder(lapsed))
        producer.abort()
    finally:
        for client in (producer, owner, lapsed, admin):
            client.close()
    assert _committed(bootstrap, group, topic, 0) is None


def test_offsets_the_group_refused_are_not_committed_by_the_next_transaction(bootstrap: str, topics: Topics) -> None:
    """A batch read under a generation the group has left behind is refused and settled; kafka-python keeps the
    refused offsets pending in its producer, so reusing that producer would commit them with the next batch."""
    transport = TRANSPORTS["kafka-python"](bootstrap)
    admin = transport.admin()
    topic, group = f"{topics.namespace}.refused", f"{topics.namespace}-refused"
    admin.ensure_topics([TopicSpec(topic, 2)])
    member = transport.subscriber(f"^{topic}$", group)
    transactions = Transactions(transport, f"{topics.namespace}-refused", Metrics(CollectorRegistry()))
    newcomer = transport.subscriber(f"^{topic}$", group)
    try:
        transactions.open()
        _joined(member)
        read_under_old_generation = ReadUnder(member)
        _joined(member, newcomer)  # the newcomer's join: a new generation, one partition each
        (_, moved), = newcomer.assignment()
        (_, kept), = member.assignment()
        transactions.polled()
        transactions.add(_one_record(topic, moved), [_consumed(topic, moved, 4)], [], read_under_old_generation)
        with pytest.raises(TransportError) as refused:
            transactions.commit()
        transactions.failed(refused.value)
        transactions.settle(member)
        transactions.polled()
        transactions.add(_one_record(topic, kept), [_consumed(topic, kept, 2)], [], member)
        transactions.commit()
    finally:
        for client in (transactions, newcomer, member, admin):
            client.close()
    assert _committed(bootstrap, group, topic, kept) == 3
    assert _committed(bootstrap, group, topic, moved) is None


@pytest.mark.parametrize("name", sorted(TRANSPORTS))
@pytest.mark.timeout(60)
def test_a_reader_returns_what_is_there_without_waiting_out_its_timeout(name: str, bootstrap: str,
                                                                        topics: Topics) -> None:
    """A receiver reads the schemas topic when it meets a new schema id; a poll that waited its whole
    timeout whenever fewer records than asked for were there held every such delivery 200 ms (librdkafka's
    `consume(n, t)`). Asked for 2 000 records with a two-minute timeout, the reader returns the three there."""
    transport = TRANSPORTS[name](bootstrap)
    topic = f"{topics.namespace}.reader-{name}"
    transport.admin().ensure_topics([TopicSpec(topic, 1)])
    producer = transport.producer()
    for value in (b"a", b"b", b"c"):
        producer.send(topic, value)
    producer.flush()
    reader = transport.reader([topic])
    try:
        seen: list[bytes | None] = []
        while len(seen) < 3:
            seen += [m.value for m in reader.poll(timeout_ms=120_000)]
        assert seen == [b"a", b"b", b"c"]
    finally:
        reader.close()
        producer.close()


@pytest.fixture
def many_inboxes(bootstrap: str, topics: Topics) -> Iterator[list[str]]:
    """300 topics, as a worker routing to 300 inboxes finds at start."""
    admin = kafka_transport(bootstrap, client="kafka-python").admin()
    names = [f"{topics.namespace}.dlv.many.{number:03d}" for number in range(300)]
    admin.ensure_topics([TopicSpec(name, 1) for name in names])
    try:
        yield names
    finally:
        admin.delete_topics(names)
        admin.close()


@pytest.mark.parametrize("name", sorted(TRANSPORTS))
@pytest.mark.timeout(20, func_only=True)
def test_a_producer_learns_hundreds_of_topics_at_once(name: str, bootstrap: str, many_inboxes: list[str]) -> None:
    """A worker fetches its inboxes' metadata at start (`Inboxes.learn`); kafka-python fetched one topic per
    request, at least 100 ms apart, so 300 inboxes took 30 s and a city's thousand kept it from starting."""
    producer = TRANSPORTS[name](bootstrap).producer()
    try:
        producer.prepare(many_inboxes)
        for topic in many_inboxes:
            producer.send(topic, b"x")  # no wait for metadata: every topic is known
        producer.flush()
    finally:
        producer.close()


@pytest.mark.parametrize("name", sorted(TRANSPORTS))
def test_a_fenced_producer_says_it_is_broken_and_still_closes(name: str, bootstrap: str, topics: Topics) -> None:
    """A worker rebuilding its producer after a node died closes the old one first. On confluent-kafka a producer
    gone fatal (fenced, or its sequence broken by the node's death) raised from `send()` and `close()` a
    `SystemError` (the library serves delivery reports with the fatal error set), and the worker died of it.
    Every call may raise only `TransactionBroken`, close any `TransportError`; nothing of the old one commits."""
    transport = TRANSPORTS[name](bootstrap)
    topic = f"{topics.namespace}.fenced-{name}"
    transport.admin().ensure_topics([TopicSpec(topic, 1)])
    transactional_id = f"{topics.namespace}-fenced-{uuid.uuid4().hex[:6]}"
    old = transport.transactional(transactional_id)
    old.begin()
    old.send(topic, b"before the fence")
    new = rebuilt(transport, transactional_id)
    with suppress(TransactionBroken):
        old.send(topic, b"after the fence")
    with suppress(TransportError):
        old.close(2)
    group = transport.subscriber(f"^{topic}$", f"{topics.namespace}-fenced")  # no offsets: never polled
    try:
        commit_surely(new, topic, group)
    finally:
        group.close()
    assert read_until_seen(transport, topic, b"surely") == [b"surely"]
