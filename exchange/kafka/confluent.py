"""The transport's clients on confluent-kafka (librdkafka), selected by `GOVX_KAFKA_CLIENT=confluent`.

The same contract as `exchange.kafka.client`: producers are idempotent with `acks=all`, consumers
read `read_committed` and commit only through transactions (or `commit()` for receivers). Every
blocking librdkafka call has a timeout, and librdkafka's `KafkaError` becomes a `TransportError`
here, where it enters govx: retriable when librdkafka says so or when only the transaction must be
aborted (abort, rewind, retry), never when the error is fatal (the producer must be rebuilt).
Delivery reports are asked for failures only, so a healthy produce costs no Python callback.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as RdProducer

from exchange.core.message import Headers, Message
from exchange.errors import TransportError

Partition = tuple[str, int]
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


def transport_error(action: str, error: KafkaError) -> TransportError:
    """librdkafka's verdict as a `TransportError`: abortable and transient errors may be retried, fatal never."""
    retriable = not error.fatal() and (transient(error) or error.txn_requires_abort())
    return TransportError(f"{action} failed: {error.name()}: {error.str()}", retriable=retriable)


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn a confluent-kafka error raised inside the block into a `TransportError`."""
    try:
        yield
    except KafkaException as exc:
        raise transport_error(action, exc.args[0]) from exc
    except BufferError as exc:
        raise TransportError(f"{action} failed: the producer queue is full", retriable=True) from exc


def to_message(record: Any) -> Message:
    headers = record.headers()
    return Message(record.topic(), record.partition(), record.offset(), record.key(), record.value(),
                   tuple(headers) if headers else (), record.timestamp()[1])


def _messages(records: list[Any], action: str) -> list[Message]:
    """The records as `Message`s; a consumer error other than end-of-partition is raised."""
    messages = []
    for record in records:
        error = record.error()
        if error is None:
            messages.append(to_message(record))
        elif error.code() != KafkaError._PARTITION_EOF:
            raise transport_error(action, error)
    return messages


def consumer_config(bootstrap: str, group_id: str, **tuning: Any) -> dict[str, Any]:
    config: dict[str, Any] = {"bootstrap.servers": bootstrap, "group.id": group_id, "client.id": "govx",
                              "isolation.level": "read_committed", "enable.auto.commit": False,
                              "auto.offset.reset": "earliest", "fetch.wait.max.ms": 50}
    config.update((TUNING[name], value) for name, value in tuning.items())
    return config


class RdPublisher:
    """An idempotent producer (`acks=all`); a failed delivery is raised by the next `flush()`."""

    def __init__(self, bootstrap: str, *, linger_ms: int = 5, extra: dict[str, Any] | None = None) -> None:
        self._failures: list[KafkaError] = []
        config = {"bootstrap.servers": bootstrap, "acks": "all", "enable.idempotence": True,
                  "linger.ms": linger_ms, "client.id": "govx", "delivery.report.only.error": True,
                  "on_delivery": self._delivered, **(extra or {})}
        with translated(f"connecting a producer to {bootstrap}"):
            self._producer = RdProducer(config)

    def _delivered(self, error: KafkaError | None, _record: Any) -> None:
        if error is not None:
            self._failures.append(error)

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        with translated(f"producing to {topic}"):
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
        with translated("fetching topic metadata"):
            for topic in topics:
                self._producer.list_topics(topic, timeout=TIMEOUT_S)

    def flush(self, timeout_s: float | None = None) -> None:
        with translated("flushing the producer"):
            left = self._producer.flush(TIMEOUT_S if timeout_s is None else timeout_s)
        if left:
            raise TransportError(f"flushing the producer: {left} record(s) not delivered in time", retriable=True)
        if self._failures:
            failure, self._failures = self._failures[0], []
            raise transport_error("delivering a record", failure)

    def close(self, timeout_s: float = 10.0) -> None:
        self.flush(timeout_s)


class RdTransactionalPublisher(RdPublisher):
    """A transactional producer for read-process-write: outputs and offsets commit together."""

    def __init__(self, bootstrap: str, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> None:
        super().__init__(bootstrap, linger_ms=TRANSACTION_LINGER_MS,
                         extra={"transactional.id": transactional_id, "transaction.timeout.ms": transaction_timeout_ms})
        with translated(f"initialising transactions for {transactional_id}"):
            self._producer.init_transactions(TIMEOUT_S)

    def begin(self) -> None:
        with translated("beginning a transaction"):
            self._producer.begin_transaction()

    def commit(self, offsets: Mapping[Partition, int], group: Any) -> None:
        """Commit the transaction, including the consumed `offsets` (next offset to read)."""
        committed = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        with translated("committing a transaction"):
            if committed:
                self._producer.send_offsets_to_transaction(committed, group.group_metadata(), TIMEOUT_S)
            self._producer.commit_transaction(TIMEOUT_S)

    def abort(self) -> None:
        self._failures.clear()
        with translated("aborting a transaction"):
            self._producer.abort_transaction(TIMEOUT_S)

    def close(self, timeout_s: float = 10.0) -> None:
        with translated("closing the producer"):
            self._producer.flush(timeout_s)


class RdSubscriber:
    """A consumer-group member over a topic pattern; `on_revoke` runs before partitions are given up."""

    def __init__(self, bootstrap: str, pattern: str, group_id: str, *, on_revoke: OnRevoke | None = None,
                 **tuning: Any) -> None:
        self._on_revoke = on_revoke
        self._last_timestamp: dict[Partition, int] = {}
        with translated(f"subscribing to {pattern}"):
            self._consumer = Consumer(consumer_config(bootstrap, group_id, **tuning))
            self._consumer.subscribe([pattern], on_revoke=self._revoked)

    def _revoked(self, _consumer: Any, partitions: list[Any]) -> None:
        if self._on_revoke is not None:
            self._on_revoke({(tp.topic, tp.partition) for tp in partitions})

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]:
        """What is there as soon as anything is: wait up to `timeout_ms` for one record, then take what
        librdkafka has fetched already (`consume(n, t)` would wait the whole `t` for n records)."""
        with translated("polling"):
            first = self._consumer.poll(timeout_ms / 1000)
            if first is None:
                return []
            records = [first, *self._consumer.consume(max_records - 1, 0)] if max_records > 1 else [first]
            messages = _messages(records, "polling")
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


class RdReader:
    """Reads whole topics without a group: for views rebuilt from Kafka (directory, records)."""

    def __init__(self, bootstrap: str, topics: Sequence[str], *, from_end: bool = False) -> None:
        self._consumer = Consumer(consumer_config(bootstrap, "govx-reader"))  # assigned, never joins or commits
        try:
            with translated(f"assigning {', '.join(topics)}"):
                listed = self._consumer.list_topics(timeout=TIMEOUT_S).topics
                parts = [TopicPartition(t, p, OFFSET_END if from_end else OFFSET_BEGINNING)
                         for t in topics if t in listed and listed[t].error is None for p in listed[t].partitions]
            missing = set(topics) - {tp.topic for tp in parts}
            if missing:
                raise TransportError(f"topic(s) {', '.join(sorted(missing))} do not exist", retriable=True)
            with translated(f"assigning {', '.join(topics)}"):
                self._consumer.assign(parts)
        except TransportError:
            self._consumer.close()
            raise
        self._partitions = [TopicPartition(tp.topic, tp.partition) for tp in parts]
        self._read: dict[Partition, int] = {}

    def poll(self, timeout_ms: int, max_records: int = 2000) -> list[Message]:
        with translated("reading"):
            messages = _messages(self._consumer.consume(max_records, timeout_ms / 1000), "reading")
        for message in messages:
            self._read[(message.topic, message.partition)] = message.offset + 1
        return messages

    def caught_up(self) -> bool:
        """True when every partition has been read up to its end offset (read_committed: the LSO) as of now."""
        with translated("checking end offsets"):
            for tp in self._consumer.position(self._partitions):
                try:
                    low, high = self._consumer.get_watermark_offsets(tp, timeout=TIMEOUT_S)
                except KafkaException as exc:
                    if transient(exc.args[0]):  # a new topic's leader not elected yet: ask again
                        return False
                    raise
                if max(tp.offset, self._read.get((tp.topic, tp.partition), low)) < high:
                    return False
        return True

    def read_to_end(self, timeout_s: float = 30.0) -> list[Message]:
        """Everything up to the end offsets as of now."""
        deadline = time.monotonic() + timeout_s
        messages: list[Message] = []
        while not self.caught_up():
            if time.monotonic() > deadline:
                raise TransportError("timed out reading to the end of the topic")
            messages.extend(self.poll(timeout_ms=200))
        return messages

    def close(self) -> None:
        with translated("closing the reader"):
            self._consumer.close()
