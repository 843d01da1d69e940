"""The one module that talks to kafka-python.

Everything else sees `Message` tuples and the small classes below; kafka-python's errors are
translated into `TransportError` here, where they enter govx. Producers are idempotent with
`acks=all`; consumers read `read_committed`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, Protocol

from kafka import ConsumerRebalanceListener, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import KafkaError
from kafka.structs import OffsetAndMetadata

from exchange.core.message import Headers, Message
from exchange.errors import TransportError

Partition = tuple[str, int]


class GroupMember(Protocol):
    """What a transaction needs of the consumer whose offsets it commits."""

    def group_metadata(self) -> Any: ...


@contextmanager
def translated(action: str) -> Iterator[None]:
    """Turn a kafka-python error raised inside the block into a `TransportError`."""
    try:
        yield
    except KafkaError as exc:
        retriable = bool(getattr(exc, "retriable", False))
        raise TransportError(f"{action} failed: {type(exc).__name__}: {exc}", retriable=retriable) from exc


def _to_message(record: Any) -> Message:
    return Message(
        record.topic, record.partition, record.offset, record.key, record.value,
        tuple(record.headers or ()), record.timestamp,
    )


def _flatten(polled: Mapping[Any, Sequence[Any]]) -> list[Message]:
    return [_to_message(record) for records in polled.values() for record in records]


def new_consumer(bootstrap: str, *, group_id: str | None, **extra: Any) -> Any:
    config = {"isolation_level": "read_committed", "enable_auto_commit": False, "auto_offset_reset": "earliest",
              "client_id": "govx", "fetch_max_wait_ms": 50, **extra}
    with translated(f"connecting a consumer to {bootstrap}"):
        return KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, **config)


class Publisher:
    """An idempotent producer (`acks=all`)."""

    def __init__(self, bootstrap: str, *, linger_ms: int = 5, **extra: Any) -> None:
        with translated(f"connecting a producer to {bootstrap}"):
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=linger_ms,
                max_in_flight_requests_per_connection=5, client_id="govx", **extra,
            )

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        with translated(f"producing to {topic}"):
            self._producer.send(topic, value=value, key=key, headers=list(headers), timestamp_ms=timestamp_ms)

    def send_batch(self, records: Iterable[tuple[str, bytes | None, bytes | None, Headers]]) -> None:
        send = self._producer.send
        with translated("producing"):
            for topic, value, key, headers in records:
                send(topic, value=value, key=key, headers=list(headers))

    def prepare(self, topics: Iterable[str]) -> None:
        """Fetch the metadata of `topics` now, so the first send to each does not wait for it."""
        with translated("fetching topic metadata"):
            for topic in topics:
                self._producer.partitions_for(topic)

    def flush(self, timeout_s: float | None = None) -> None:
        with translated("flushing the producer"):
            self._producer.flush(timeout=timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        with translated("closing the producer"):
            self._producer.close(timeout=timeout_s)


class TransactionalPublisher(Publisher):
    """A transactional producer for read-process-write: outputs and offsets commit together."""

    def __init__(self, bootstrap: str, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> None:
        # a short metadata backoff: each first send to a new inbox topic waits for one metadata refresh
        super().__init__(bootstrap, transactional_id=transactional_id,
                         transaction_timeout_ms=transaction_timeout_ms, retry_backoff_ms=10)
        with translated(f"initialising transactions for {transactional_id}"):
            self._producer.init_transactions()

    def begin(self) -> None:
        with translated("beginning a transaction"):
            self._producer.begin_transaction()

    def commit(self, offsets: Mapping[Partition, int], group: GroupMember) -> None:
        """Commit the transaction, including the consumed `offsets` (next offset to read)."""
        committed = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()}
        with translated("committing a transaction"):
            if committed:
                self._producer.send_offsets_to_transaction(committed, group.group_metadata())
            self._producer.commit_transaction()

    def abort(self) -> None:
        with translated("aborting a transaction"):
            self._producer.abort_transaction()


class Revocations(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells the subscriber's owner which partitions it is about to give up, inside `poll()`."""

    def __init__(self, on_revoke: Callable[[set[Partition]], None] | None) -> None:
        self._on_revoke = on_revoke

    def on_partitions_revoked(self, revoked: Any) -> None:
        if self._on_revoke is not None and revoked:
            self._on_revoke({(tp.topic, tp.partition) for tp in revoked})

    def on_partitions_assigned(self, assigned: Any) -> None:
        """Assigned partitions start from their committed offsets: nothing to do."""


class Subscriber:
    """A consumer-group member over a topic pattern, committing only through transactions."""

    def __init__(self, bootstrap: str, pattern: str, group_id: str, *,
                 on_revoke: Callable[[set[Partition]], None] | None = None, **extra: Any) -> None:
        self._consumer = new_consumer(bootstrap, group_id=group_id, **extra)
        self._last_timestamp: dict[Partition, int] = {}
        with translated(f"subscribing to {pattern}"):
            self._consumer.subscribe(pattern=pattern, listener=Revocations(on_revoke))

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]:
        with translated("polling"):
            messages = _flatten(self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records))
        for message in messages:
            self._last_timestamp[(message.topic, message.partition)] = message.timestamp_ms
        return messages

    def group_metadata(self) -> Any:
        return self._consumer.group_metadata()

    def commit(self) -> None:
        """Commit the positions reached (for readers outside transactions, e.g. receivers)."""
        with translated("committing offsets"):
            self._consumer.commit()

    def rewind(self) -> None:
        """Go back to the committed offsets, after an aborted transaction."""
        with translated("rewinding to committed offsets"):
            for tp in self._consumer.assignment():
                committed = self._consumer.committed(tp)
                if committed is None:
                    self._consumer.seek_to_beginning(tp)
                else:
                    self._consumer.seek(tp, committed)

    def assignment(self) -> set[Partition]:
        return {(tp.topic, tp.partition) for tp in self._consumer.assignment()}

    def lag(self) -> dict[Partition, tuple[int, int | None]]:
        """Per assigned partition: records behind the high watermark, and the timestamp of the
        last record consumed (None before the first). Uses fetch metadata: no extra request."""
        found: dict[Partition, tuple[int, int | None]] = {}
        with translated("reading consumer lag"):
            for tp in self._consumer.assignment():
                high = self._consumer.highwater(tp)
                position = self._consumer.position(tp, timeout_ms=0) if high is not None else None
                if high is None or position is None:
                    continue
                key = (tp.topic, tp.partition)
                found[key] = (max(high - position, 0), self._last_timestamp.get(key))
        return found

    def close(self) -> None:
        self._consumer.close(autocommit=False)


class Reader:
    """Reads whole topics without a group: for views rebuilt from Kafka (directory, records)."""

    def __init__(self, bootstrap: str, topics: Sequence[str], *, from_end: bool = False) -> None:
        self._consumer = new_consumer(bootstrap, group_id=None)
        with translated(f"assigning {', '.join(topics)}"):
            parts = [TopicPartition(t, p) for t in topics for p in self._consumer.partitions_for_topic(t) or ()]
        missing = set(topics) - {tp.topic for tp in parts}
        if missing:
            self._consumer.close(autocommit=False)
            raise TransportError(f"topic(s) {', '.join(sorted(missing))} do not exist", retriable=True)
        with translated(f"assigning {', '.join(topics)}"):
            self._consumer.assign(parts)
            if from_end:
                self._consumer.seek_to_end(*parts)
            else:
                self._consumer.seek_to_beginning(*parts)
        self._partitions = parts

    def poll(self, timeout_ms: int, max_records: int = 2000) -> list[Message]:
        with translated("reading"):
            return _flatten(self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records))

    def caught_up(self) -> bool:
        """True when every partition has been read up to its end offset as of now."""
        with translated("checking end offsets"):
            ends = self._consumer.end_offsets(self._partitions)
            return all(self._consumer.position(tp) >= end for tp, end in ends.items())

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
        self._consumer.close(autocommit=False)
