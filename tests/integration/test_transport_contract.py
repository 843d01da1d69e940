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

from exchange.core.topics import Topics, TopicSpec
from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.kafka.transactional import TRANSACTION_DEADLINE_S
from exchange.kafka.transport import CLIENTS, TransactionalProducer, Transport, kafka_transport
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
    new = rebuilt(transport, transactional_id)  # fences the old epoch, resolves its transaction
    try:
        new.begin()
        new.send(topic, b"surely")
        new.commit({}, group)
    finally:
        new.close()
    try:
        values = read_until_seen(transport, topic, b"surely")
    finally:
        group.close()
        admin.close()
    assert values.count(b"surely") == 1 and values.count(b"maybe") <= 1


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
