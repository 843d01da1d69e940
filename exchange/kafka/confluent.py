"""The transport's clients on confluent-kafka (librdkafka), selected by `GOVX_KAFKA_CLIENT=confluent`.

The same contract as `exchange.kafka.client`: producers are idempotent with `acks=all`, consumers
read `read_committed` and commit only through transactions (or `commit()` for receivers). Every
blocking librdkafka call has a timeout, and librdkafka's `KafkaError` becomes a `TransportError`
here, where it enters govx: retriable when librdkafka says so or when only the transaction must be
aborted (abort, rewind, retry), never when the error is fatal (the producer must be rebuilt).
Delivery reports are asked for failures only, so a healthy produce costs no Python callback.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka import Producer as RdProducer

from exchange.core.message import Headers, Message
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import AuthorizationError, TransportError
from exchange.kafka.sasl_probe import verify_credentials

Partition = tuple[str, int]
LIBRDKAFKA_LOG = logging.getLogger("librdkafka")
TIMEOUT_S = 30.0
# a transaction's records wait up to this long to share a produce request: commit flushes at once whatever
# linger says, so a long linger costs no latency and saves many small requests to many partitions
TRANSACTION_LINGER_MS = 100
# kafka-python's names for the consumer tuning govx passes, and librdkafka's for the same setting
TUNING = {"metadata_max_age_ms": "topic.metadata.refresh.interval.ms", "max_poll_interval_ms": "max.poll.interval.ms",
          "session_timeout_ms": "session.timeout.ms", "heartbeat_interval_ms": "heartbeat.interval.ms",
          "fetch_max_wait_ms": "fetch.wait.max.ms"}


# errors librdkafka does not flag retriable on every call (watermarks, metadata) that pass once leaders settle
TRANSIENT = {KafkaError.NOT_LEADER_FOR_PARTITION, KafkaError.LEADER_NOT_AVAILABLE, KafkaError.UNKNOWN_TOPIC_OR_PART,
             KafkaError.REQUEST_TIMED_OUT, KafkaError.NOT_COORDINATOR, KafkaError.COORDINATOR_NOT_AVAILABLE,
             KafkaError.COORDINATOR_LOAD_IN_PROGRESS, KafkaError._TRANSPORT, KafkaError._TIMED_OUT,
             KafkaError._ALL_BROKERS_DOWN, KafkaError._WAIT_COORD}


def transient(error: KafkaError) -> bool:
    """Whether asking again later may succeed: librdkafka says so, or the error is a leader/coordinator move."""
    return error.retriable() or error.code() in TRANSIENT


# librdkafka's refusals, and the kind of resource each names (exchange/kafka/refusals.py for kafka-python)
REFUSALS = {KafkaError.TOPIC_AUTHORIZATION_FAILED: "topic", KafkaError.GROUP_AUTHORIZATION_FAILED: "group",
            KafkaError.TRANSACTIONAL_ID_AUTHORIZATION_FAILED: "transactional id",
            KafkaError.CLUSTER_AUTHORIZATION_FAILED: "cluster"}
AUTHENTICATION = {KafkaError.SASL_AUTHENTICATION_FAILED, KafkaError._AUTHENTICATION}


def transport_error(action: str, error: KafkaError) -> TransportError:
    """librdkafka's verdict as a `TransportError`: abortable and transient errors may be retried, fatal never."""
    retriable = not error.fatal() and (transient(error) or error.txn_requires_abort())
    return TransportError(f"{action} failed: {error.name()}: {error.str()}", retriable=retriable)


def refusal(error: KafkaError, security: ClientSecurity, operation: str, resource: str) -> AuthorizationError | None:
    """The `AuthorizationError` for `error`, or None if it is no refusal."""
    code = error.code()
    if code in AUTHENTICATION:
        return AuthorizationError(security.principal, "authenticate to", resource.removeprefix("topic "), error.str())
    noun = REFUSALS.get(code)
    if noun is None:
        return None
    named = resource if resource.startswith(noun) else f"{noun} ({resource})"
    return AuthorizationError(security.principal, operation, named, f"{error.name()}: {error.str()}")


def judged(action: str, error: KafkaError, security: ClientSecurity = PLAINTEXT, operation: str = "use",
           resource: str | None = None) -> TransportError:
    """`error` as the `AuthorizationError` it is, or else as a `TransportError`."""
    return refusal(error, security, operation, resource or action) or transport_error(action, error)


@contextmanager
def translated(action: str, security: ClientSecurity = PLAINTEXT, operation: str = "use",
               resource: str | None = None) -> Iterator[None]:
    """Turn a confluent-kafka error raised inside the block into a `TransportError` (a refusal into an
    `AuthorizationError` naming the principal, the operation and the resource)."""
    try:
        yield
    except KafkaException as exc:
        raise judged(action, exc.args[0], security, operation, resource) from exc
    except BufferError as exc:
        raise TransportError(f"{action} failed: the producer queue is full", retriable=True) from exc


def client_config(bootstrap: str, security: ClientSecurity) -> dict[str, Any]:
    """What every client sets: the cluster, the principal (its password checked once), a quick reconnect,
    and librdkafka's log lines through Python's logging (logger `librdkafka`) rather than to stderr."""
    if security.sasl:
        verify_credentials(bootstrap, security)
    return {"bootstrap.servers": bootstrap, "client.id": "govx", "reconnect.backoff.ms": 50,
            "reconnect.backoff.max.ms": 1000, "logger": LIBRDKAFKA_LOG, **security.librdkafka()}


def to_message(record: Any) -> Message:
    headers = record.headers()
    return Message(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                   tuple(headers) if headers else (), record.timestamp()[1])


def messages_of(records: list[Any], action: str, security: ClientSecurity = PLAINTEXT,
              resource: str | None = None, harmless: frozenset[int] = frozenset()) -> list[Message]:
    """The records as `Message`s; a consumer error other than end-of-partition (or one `harmless` here) is raised."""
    messages = []
    for record in records:
        error = record.error()
        if error is None:
            messages.append(to_message(record))
        elif error.code() != KafkaError._PARTITION_EOF and error.code() not in harmless:
            raise judged(action, error, security, "read", resource)
    return messages


def fetched_now(consumer: Any, timeout_ms: int, max_records: int) -> list[Any]:
    """Up to `max_records` as soon as one is there (`consume(n, t)` waits the whole `t` unless n records come)."""
    first = consumer.poll(timeout_ms / 1000)
    rest = consumer.consume(max_records - 1, 0) if first is not None and max_records > 1 else []
    return [first, *rest] if first is not None else []


def consumer_config(bootstrap: str, group_id: str, security: ClientSecurity = PLAINTEXT,
                    **tuning: Any) -> dict[str, Any]:
    config: dict[str, Any] = {**client_config(bootstrap, security), "group.id": group_id,
                              "isolation.level": "read_committed", "enable.auto.commit": False,
                              "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50}
    config.update((TUNING[name], value) for name, value in tuning.items())
    return config


class RdPublisher:
    """An idempotent producer (`acks=all`); a failed delivery (e.g. refused by an ACL) is raised by the next call.

    As kafka-python's, `send()` waits (up to its deadline) for a topic's metadata the first time it writes
    to it, so a record is in the send buffer only if the cluster was reachable — what a writer that
    must tell "never sent" from "maybe sent" relies on (the API's directory writes).
    """

    def __init__(self, bootstrap: str, *, linger_ms: int = 5, security: ClientSecurity = PLAINTEXT,
                 extra: dict[str, Any] | None = None, client: Callable[[dict[str, Any]], Any] = RdProducer) -> None:
        self.security = security
        self._failures: list[tuple[str, KafkaError]] = []
        self._known: set[str] = set()
        config = {**client_config(bootstrap, security), "acks": "all", "enable.idempotence": True,
                  "linger.ms": linger_ms, "delivery.report.only.error": True, "on_delivery": self._delivered,
                  **(extra or {})}
        with translated(f"connecting a producer to {bootstrap}", security, "connect to", bootstrap):
            self._producer = client(config)

    @contextmanager
    def _producing(self, action: str, resource: str | None = None) -> Iterator[None]:
        """librdkafka's errors from a call that produces or serves delivery reports, as `translated` says."""
        with translated(action, self.security, "write", resource):
            yield

    def _delivered(self, error: KafkaError | None, record: Any) -> None:
        if error is not None:
            self._failures.append((record.topic(), error))

    def _raise_failure(self) -> None:
        if self._failures:
            (topic, failure), self._failures = self._failures[0], []
            raise judged(f"producing to {topic}", failure, self.security, "write", f"topic {topic}")

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        with self._producing(f"producing to {topic}", f"topic {topic}"):
            self._producer.poll(0)  # serve delivery reports: a refusal surfaces at the next call
        self._raise_failure()
        if topic not in self._known:
            self.prepare([topic])
        with self._producing(f"producing to {topic}", f"topic {topic}"):
            try:
                self._producer.produce(topic, value, key, headers=list(headers), timestamp=timestamp_ms or 0)
            except BufferError:  # the local queue is full: let librdkafka send, then try once more
                self._producer.poll(1.0)
                self._producer.produce(topic, value, key, headers=list(headers), timestamp=timestamp_ms or 0)

    def send_batch(self, records: Iterable[tuple[str, bytes | None, bytes | None, Headers]]) -> None:
        produce = self._producer.produce
        with self._producing("producing"):
            for topic, value, key, headers in records:
                try:
                    produce(topic, value, key, headers=list(headers))
                except BufferError:  # the local queue is full: let librdkafka send, then try once more
                    self._producer.poll(1.0)
                    produce(topic, value, key, headers=list(headers))

    def prepare(self, topics: Iterable[str]) -> None:
        """Fetch each topic's metadata now, so the first transaction does not wait for it topic by topic."""
        for topic in topics:
            with translated("fetching topic metadata", self.security, "describe", f"topic {topic}"):
                self._producer.list_topics(topic, timeout=TIMEOUT_S)
            self._known.add(topic)

    def flush(self, timeout_s: float | None = None) -> None:
        with self._producing("flushing the producer"):
            left = self._producer.flush(TIMEOUT_S if timeout_s is None else timeout_s)
        self._raise_failure()
        if left:
            raise TransportError(f"flushing the producer: {left} record(s) not delivered in time", retriable=True)

    def close(self, timeout_s: float = 10.0) -> None:
        """Close, waiting up to `timeout_s` for what is in flight; what is still queued then is dropped and
        the client shut down, so a producer whose cluster has gone does not live on, retrying."""
        try:
            self.flush(timeout_s)
        finally:
            self._producer.purge()
            self._producer.flush(0)
            self._producer.close()
