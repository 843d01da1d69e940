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

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as RdProducer

from exchange.core.message import Headers, Message
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import AuthorizationError, TransportError
from exchange.kafka.sasl_probe import verify_credentials

Partition = tuple[str, int]
LIBRDKAFKA_LOG = logging.getLogger("librdkafka")
OnRevoke = Callable[[set[Partition]], None]
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
                 extra: dict[str, Any] | None = None) -> None:
        self.security = security
        self._failures: list[tuple[str, KafkaError]] = []
        self._known: set[str] = set()
        config = {**client_config(bootstrap, security), "acks": "all", "enable.idempotence": True,
                  "linger.ms": linger_ms, "delivery.report.only.error": True, "on_delivery": self._delivered,
                  **(extra or {})}
        with translated(f"connecting a producer to {bootstrap}", security, "connect to", bootstrap):
            self._producer = RdProducer(config)

    def _delivered(self, error: KafkaError | None, record: Any) -> None:
        if error is not None:
            self._failures.append((record.topic(), error))

    def _raise_failure(self) -> None:
        if self._failures:
            (topic, failure), self._failures = self._failures[0], []
            raise judged(f"producing to {topic}", failure, self.security, "write", f"topic {topic}")

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        self._producer.poll(0)  # serve delivery reports: a refusal surfaces at the next call
        self._raise_failure()
        if topic not in self._known:
            self.prepare([topic])
        with translated(f"producing to {topic}", self.security, "write", f"topic {topic}"):
            try:
                self._producer.produce(topic, value, key, headers=list(headers), timestamp=timestamp_ms or 0)
            except BufferError:  # the local queue is full: let librdkafka send, then try once more
                self._producer.poll(1.0)
                self._producer.produce(topic, value, key, headers=list(headers), timestamp=timestamp_ms or 0)

    def send_batch(self, records: Iterable[tuple[str, bytes | None, bytes | None, Headers]]) -> None:
        produce = self._producer.produce
        with translated("producing"):
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
        with translated("flushing the producer"):
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


class RdSubscriber:
    """A consumer-group member over a topic pattern; `on_revoke` runs before partitions are given up.

    librdkafka's `poll()` returns nothing, for ever, when no broker answers; once librdkafka reports
    all brokers down, an empty poll asks the cluster for its metadata and raises a retriable
    `TransportError` if it does not answer, so the caller's `RetryBudget` can give up in time.
    """

    def __init__(self, bootstrap: str, pattern: str, group_id: str, *, security: ClientSecurity = PLAINTEXT,
                 on_revoke: OnRevoke | None = None, **tuning: Any) -> None:
        self._on_revoke, self._security, self._group = on_revoke, security, group_id
        self._last_timestamp: dict[Partition, int] = {}
        self._brokers_down = False
        config = {**consumer_config(bootstrap, group_id, security, **tuning), "error_cb": self._cluster_error}
        with translated(f"subscribing to {pattern}", security, "connect to", bootstrap):
            self._consumer = Consumer(config)
            self._consumer.subscribe([pattern], on_revoke=self._revoked)

    def _cluster_error(self, error: KafkaError) -> None:
        if error.code() == KafkaError._ALL_BROKERS_DOWN:
            self._brokers_down = True

    def _check_cluster(self) -> None:
        """After librdkafka reported every broker down: raise unless the cluster answers again."""
        with translated(f"polling: no broker answers the group {self._group}"):
            self._consumer.list_topics(timeout=1.0)
        self._brokers_down = False

    def _revoked(self, _consumer: Any, partitions: list[Any]) -> None:
        if self._on_revoke is not None:
            self._on_revoke({(tp.topic, tp.partition) for tp in partitions})

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]:
        """What is there as soon as anything is (`fetched_now`)."""
        whose = f"group {self._group} / topics matching a pattern"
        with translated("polling", self._security, "read", whose):
            records = fetched_now(self._consumer, timeout_ms, max_records)
            if not records:
                if self._brokers_down:
                    self._check_cluster()
                return []
            messages = messages_of(records, "polling", self._security, whose)
        for message in messages:
            self._last_timestamp[(message.topic, message.partition)] = message.timestamp_ms
        return messages

    def group_metadata(self) -> Any:
        return self._consumer.consumer_group_metadata()

    def commit(self) -> None:
        """Commit the positions reached (for readers outside transactions, e.g. receivers)."""
        with translated("committing offsets"):
            try:
                self._consumer.commit(asynchronous=False)
            except KafkaException as exc:
                if exc.args[0].code() != KafkaError._NO_OFFSET:  # nothing consumed since the last commit
                    raise

    def rewind(self) -> None:
        """Go back to the committed offsets, after an aborted transaction."""
        with translated("rewinding to committed offsets"):
            assigned = self._consumer.assignment()
            for tp in self._consumer.committed(assigned, TIMEOUT_S) if assigned else ():
                self._consumer.seek(TopicPartition(tp.topic, tp.partition,
                                                   tp.offset if tp.offset >= 0 else OFFSET_BEGINNING))

    def assignment(self) -> set[Partition]:
        with translated("reading the assignment"):
            return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def lag(self) -> dict[Partition, tuple[int, int | None]]:
        """Per assigned partition: records behind the high watermark librdkafka last fetched (no request;
        0 before any record was fetched), and the timestamp of the last record consumed (None before the first)."""
        found: dict[Partition, tuple[int, int | None]] = {}
        with translated("reading consumer lag"):
            for tp in self._consumer.position(self._consumer.assignment()):
                low, high = self._consumer.get_watermark_offsets(tp, cached=True)
                position = tp.offset if tp.offset >= 0 else max(low, 0)  # nothing consumed since the assignment
                key = (tp.topic, tp.partition)  # no records fetched yet (high unknown): none known to be behind
                found[key] = (max(high - position, 0) if high >= 0 else 0, self._last_timestamp.get(key))
        return found

    def close(self) -> None:
        with translated("leaving the group"):
            self._consumer.close()
