"""The transport interface: what govx's processes need from a Kafka client library, and who builds it.

A `Transport` builds the clients a process uses — admin, producers, group consumers, whole-topic
readers — for one cluster. Services (the worker, receivers, the API's feeds) receive a transport
instead of a bootstrap string, as httpx clients receive `transport=`: a test or a benchmark passes
the transport it wants, and a second Kafka client library is a second implementation of these
protocols (docs/architecture.md §3): kafka-python (`KafkaPythonTransport`, the default) and
confluent-kafka on librdkafka (`ConfluentTransport`), chosen by `GOVX_KAFKA_CLIENT`. Every client
speaks `Message` tuples and raises `TransportError` only.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol, TypeVar

from exchange.core.message import Headers, Message
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.core.topics import TopicSpec
from exchange.errors import ConfigError, TransportError
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Reader, Subscriber
from exchange.kafka.confluent import RdPublisher
from exchange.kafka.confluent_admin import RdAdmin
from exchange.kafka.confluent_reader import RdReader
from exchange.kafka.confluent_subscriber import RdSubscriber
from exchange.kafka.confluent_transactional import RdTransactionalPublisher
from exchange.kafka.transactional import TransactionalPublisher
from exchange.runtime.settings import load_settings

log = logging.getLogger(__name__)
Partition = tuple[str, int]
OnRevoke = Callable[[set[Partition]], None]
CLIENTS = ("kafka-python", "confluent")
OutRecord = tuple[str, bytes | None, bytes | None, Headers]  # topic, value, key, headers


class AdminClient(Protocol):
    """Topic and group administration."""

    def topics(self) -> set[str]: ...
    def ensure_topics(self, specs: Iterable[TopicSpec]) -> list[str]: ...
    def delete_topics(self, names: Iterable[str]) -> None: ...
    def partitions(self, topic: str) -> int: ...
    def committed(self, group: str) -> dict[Partition, int]: ...
    def close(self) -> None: ...


class Producer(Protocol):
    """An idempotent producer (`acks=all`)."""

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None: ...
    def send_batch(self, records: Iterable[OutRecord]) -> None:
        """Send many records (the hot path, inside a transaction: a failed record fails its commit)."""
        ...
    def prepare(self, topics: Iterable[str]) -> None: ...
    def flush(self, timeout_s: float | None = None) -> None: ...
    def close(self, timeout_s: float = 10.0) -> None: ...


class GroupConsumer(Protocol):
    """A consumer-group member over a topic pattern, reading `read_committed`."""

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]: ...
    def group_metadata(self) -> Any: ...
    def commit(self) -> None: ...
    def rewind(self) -> None: ...
    def assignment(self) -> set[Partition]: ...
    def lag(self) -> dict[Partition, tuple[int, int | None]]: ...
    def close(self) -> None: ...


class GroupMember(Protocol):
    """Whose consumed offsets a transaction commits: the group membership the batch was read under."""

    def group_metadata(self) -> Any: ...


class TransactionalProducer(Producer, Protocol):
    """A transactional producer for read-process-write: outputs and consumed offsets commit together.

    The recovery contract (every implementation honours it): building one initialises transactions
    (fencing an older producer with the same id) within a deadline; no call waits without one.
    A call that fails retriably raises `TransportError(retriable=True)`: abort, re-read, retry. A call
    past its deadline, or one after which the producer cannot go on (fenced, fatal state), raises
    `TransactionBroken`: close it and build another with `Transport.transactional(same id)`.
    """

    def begin(self) -> None: ...
    def commit(self, offsets: Mapping[Partition, int], group: GroupMember) -> None: ...
    def abort(self) -> None: ...


class TopicReader(Protocol):
    """Reads whole topics without a group: views rebuilt from Kafka (directory, schemas, records)."""

    def poll(self, timeout_ms: int, max_records: int = 2000) -> list[Message]: ...
    def read_to_end(self, timeout_s: float = 30.0) -> list[Message]: ...
    def close(self) -> None: ...


class Transport(Protocol):
    """Builds the clients of one cluster with one Kafka client library."""

    bootstrap: str

    def admin(self) -> AdminClient: ...
    def producer(self, *, linger_ms: int = 5) -> Producer: ...
    def transactional(self, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> TransactionalProducer: ...
    def subscriber(self, pattern: str, group: str, *, on_revoke: OnRevoke | None = None,
                   **tuning: Any) -> GroupConsumer:
        """A group member; `on_revoke` runs inside `poll()` before partitions are given up."""
        ...
    def reader(self, topics: Sequence[str], *, from_end: bool = False) -> TopicReader: ...


class KafkaPythonTransport:
    """The transport on kafka-python (the design card's client); every client it builds
    authenticates as `security` (a `ClientSecurity` any other client library can take too)."""

    def __init__(self, bootstrap: str, security: ClientSecurity = PLAINTEXT) -> None:
        self.bootstrap = bootstrap
        self.security = security

    def admin(self) -> AdminClient:
        return Admin(self.bootstrap, security=self.security)

    def producer(self, *, linger_ms: int = 5) -> Producer:
        return Publisher(self.bootstrap, linger_ms=linger_ms, security=self.security)

    def transactional(self, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> TransactionalProducer:
        return TransactionalPublisher(self.bootstrap, transactional_id, transaction_timeout_ms=transaction_timeout_ms,
                                      security=self.security)

    def subscriber(self, pattern: str, group: str, *, on_revoke: OnRevoke | None = None,
                   **tuning: Any) -> GroupConsumer:
        return Subscriber(self.bootstrap, pattern, group, security=self.security, on_revoke=on_revoke, **tuning)

    def reader(self, topics: Sequence[str], *, from_end: bool = False) -> TopicReader:
        return Reader(self.bootstrap, topics, from_end=from_end, security=self.security)


class ConfluentTransport:
    """The transport on confluent-kafka (librdkafka): `GOVX_KAFKA_CLIENT=confluent`."""

    def __init__(self, bootstrap: str, security: ClientSecurity = PLAINTEXT) -> None:
        self.bootstrap = bootstrap
        self.security = security

    def admin(self) -> AdminClient:
        return RdAdmin(self.bootstrap, security=self.security)

    def producer(self, *, linger_ms: int = 5) -> Producer:
        return RdPublisher(self.bootstrap, linger_ms=linger_ms, security=self.security)

    def transactional(self, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> TransactionalProducer:
        return RdTransactionalPublisher(self.bootstrap, transactional_id, transaction_timeout_ms=transaction_timeout_ms,
                                        security=self.security)

    def subscriber(self, pattern: str, group: str, *, on_revoke: OnRevoke | None = None,
                   **tuning: Any) -> GroupConsumer:
        return RdSubscriber(self.bootstrap, pattern, group, security=self.security, on_revoke=on_revoke, **tuning)

    def reader(self, topics: Sequence[str], *, from_end: bool = False) -> TopicReader:
        return RdReader(self.bootstrap, topics, from_end=from_end, security=self.security)


def kafka_transport(bootstrap: str, security: ClientSecurity = PLAINTEXT, *, client: str | None = None) -> Transport:
    """The transport a process uses for `bootstrap`, authenticating as `security`, on `client` (by
    default the `GOVX_KAFKA_CLIENT` setting: kafka-python, or confluent)."""
    chosen = client or load_settings().kafka_client
    if chosen == "confluent":
        return ConfluentTransport(bootstrap, security)
    if chosen == "kafka-python":
        return KafkaPythonTransport(bootstrap, security)
    raise ConfigError(f"unknown Kafka client {chosen!r}; choose one of {', '.join(CLIENTS)}")


class Closable(Protocol):
    """Anything with a `close()`: every client above."""

    def close(self) -> None: ...


C = TypeVar("C", bound=Closable)


@contextmanager
def closed_after(client: C) -> Iterator[C]:
    """Use `client`, then close it, logging (not raising) a failure to close."""
    try:
        yield client
    finally:
        try:
            client.close()
        except TransportError as failure:
            log.warning("while closing: %s", failure)
