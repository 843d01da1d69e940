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

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.errors import CommitFailedError, KafkaError

from exchange.core.message import Headers, Message
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import AuthorizationError, TransportError
from exchange.kafka.reading import read_to_end
from exchange.kafka.refusals import refused
from exchange.kafka.revocations import Revocations
from exchange.kafka.sasl_probe import verify_credentials

Partition = tuple[str, int]
TOPIC_AUTHORIZATION_FAILED = 29

# Every blocking call has a deadline. A local exchange reconnects within a second of a broker coming
# back (the library's default backoff grows to 30 s), and no call waits longer than DEADLINE_S.
DEADLINE_S = 30.0
RECONNECT = {"reconnect_backoff_ms": 50, "reconnect_backoff_max_ms": 1000}


class GroupMember(Protocol):
    """What a transaction needs of the consumer whose offsets it commits."""

    def group_metadata(self) -> Any: ...


@contextmanager
def translated(action: str, security: ClientSecurity = PLAINTEXT, operation: str = "use",
               resource: str | None = None) -> Iterator[None]:
    """Turn a kafka-python error raised inside the block into a `TransportError`; a refusal by the
    broker (ACL or SASL) into an `AuthorizationError` naming the principal, operation and resource."""
    try:
        yield
    except KafkaError as exc:
        refusal = refused(exc, security.principal, operation, resource or action)
        if refusal is not None:
            raise refusal from exc
        retriable = bool(getattr(exc, "retriable", False))
        raise TransportError(f"{action} failed: {type(exc).__name__}: {exc}", retriable=retriable) from exc


def auth_config(bootstrap: str, security: ClientSecurity) -> dict[str, Any]:
    """kafka-python's settings for `security` (the mapping table is in `exchange.core.security`),
    after checking its password once (`AuthorizationError` if the broker refuses it)."""
    if not security.sasl:
        return {}
    verify_credentials(bootstrap, security)
    return {"security_protocol": security.protocol, "sasl_mechanism": security.mechanism,
            "sasl_plain_username": security.username, "sasl_plain_password": security.password}


def _to_message(record: Any) -> Message:
    return Message(
        record.topic, record.partition, record.offset, record.key, record.value,
        tuple(record.headers or ()), record.timestamp,
    )


def _flatten(polled: Mapping[Any, Sequence[Any]]) -> list[Message]:
    return [_to_message(record) for records in polled.values() for record in records]


def denied_topics(bootstrap: str, security: ClientSecurity, topics: Iterable[str]) -> list[str]:
    """Which of `topics` the broker will not describe to this principal (a broker hides whether a
    topic exists from a principal without Describe on it)."""
    if not security.sasl:
        return []
    with translated("describing topics", security, "describe", "topics"):
        client = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="govx-admin",
                                  **auth_config(bootstrap, security))
        try:
            described = client.describe_topics(sorted(topics))
        finally:
            client.close()
    return [str(topic["name"]) for topic in described if topic["error_code"] == TOPIC_AUTHORIZATION_FAILED]


def new_consumer(bootstrap: str, *, group_id: str | None, security: ClientSecurity = PLAINTEXT,
                 **extra: Any) -> Any:
    config = {"isolation_level": "read_committed", "enable_auto_commit": False, "auto_offset_reset": "earliest",
              "client_id": "govx", "fetch_max_wait_ms": 50, "request_timeout_ms": int(DEADLINE_S * 1000),
              **RECONNECT, **auth_config(bootstrap, security), **extra}
    with translated(f"connecting a consumer to {bootstrap}", security, "connect to", bootstrap):
        return KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, **config)


class Publisher:
    """An idempotent producer (`acks=all`)."""

    def __init__(self, bootstrap: str, *, linger_ms: int = 5, security: ClientSecurity = PLAINTEXT,
                 **extra: Any) -> None:
        self.security = security
        self._failure: tuple[str, Exception] | None = None
        with translated(f"connecting a producer to {bootstrap}", security, "connect to", bootstrap):
            self._producer = KafkaProducer(
                bootstrap_servers=bootstrap, acks="all", enable_idempotence=True, linger_ms=linger_ms,
                max_in_flight_requests_per_connection=5, client_id="govx", **auth_config(bootstrap, security),
                **{"max_block_ms": int(DEADLINE_S * 1000), **RECONNECT, **extra},
            )

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        self._raise_failure()
        with translated(f"producing to {topic}", self.security, "write", f"topic {topic}"):
            future = self._producer.send(topic, value=value, key=key, headers=list(headers), timestamp_ms=timestamp_ms)
        future.add_errback(self._record_failure, topic)

    def send_batch(self, records: Iterable[tuple[str, bytes | None, bytes | None, Headers]]) -> None:
        """Queue many records; inside a transaction a failed one fails the commit, so no callback per record."""
        self._raise_failure()
        send = self._producer.send
        with translated("producing", self.security, "write", "the batch's topics"):
            for topic, value, key, headers in records:
                send(topic, value=value, key=key, headers=list(headers))

    def _record_failure(self, topic: str, exc: Exception) -> None:
        """A send that failed after it was queued (e.g. refused by an ACL): raised by the next call."""
        if self._failure is None:
            self._failure = (topic, exc)

    def _raise_failure(self) -> None:
        if self._failure is not None and isinstance(self._failure[1], KafkaError):
            topic, exc = self._failure
            self._failure = None
            with translated(f"producing to {topic}", self.security, "write", f"topic {topic}"):
                raise exc

    def prepare(self, topics: Iterable[str]) -> None:
        """Fetch the metadata of `topics` now, so the first send to each does not wait for it: all of them
        in one request — kafka-python fetches one topic per request, ≥ 100 ms apart (its retry backoff),
        which made a worker routing to 1 000 inboxes take minutes to start."""
        wanted = list(topics)
        sender = self._producer._sender  # noqa: SLF001 - queues topics for the sender's next metadata request
        for topic in wanted:
            sender.add_topic(topic)
        for topic in wanted:
            with translated("fetching topic metadata", self.security, "describe", f"topic {topic}"):
                self._producer.partitions_for(topic)

    def flush(self, timeout_s: float | None = None) -> None:
        with translated("flushing the producer"):
            self._producer.flush(timeout=DEADLINE_S if timeout_s is None else timeout_s)
        self._raise_failure()

    def close(self, timeout_s: float = 10.0) -> None:
        """Close, waiting up to `timeout_s` for what is in flight; a producer that cannot flush in time
        (a broken one) is closed by force rather than left running."""
        try:
            with translated("closing the producer"):
                self._producer.close(timeout=timeout_s)
        except TransportError:
            sender = self._producer._sender  # noqa: SLF001 - close() gives up at its flush, sender still running
            if sender is not None and sender.is_alive():
                sender.force_close()
            raise


class Subscriber:
    """A consumer-group member over a topic pattern, committing only through transactions.

    kafka-python's `poll()` returns nothing, for ever, when no broker answers; here a poll that finds
    the group coordinator unreachable raises a retriable `TransportError` instead (once the coordinator
    was found, or `DEADLINE_S` after subscribing), so the caller's `RetryBudget` can give up in time.
    """

    def __init__(self, bootstrap: str, pattern: str, group_id: str, *, security: ClientSecurity = PLAINTEXT,
                 on_revoke: Callable[[set[Partition]], None] | None = None, **extra: Any) -> None:
        self._consumer = new_consumer(bootstrap, group_id=group_id, security=security, **extra)
        self._security, self._group = security, group_id
        self._subscribed_at, self._found_coordinator = time.monotonic(), False
        self._last_timestamp: dict[Partition, int] = {}
        with translated(f"subscribing to {pattern}"):
            self._consumer.subscribe(pattern=pattern, listener=Revocations(on_revoke))

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]:
        with translated("polling", self._security, "read", f"group {self._group} / topics matching a pattern"):
            messages = _flatten(self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records))
        if not messages:
            self._check_coordinator()
        for message in messages:
            self._last_timestamp[(message.topic, message.partition)] = message.timestamp_ms
        return messages

    def _check_coordinator(self) -> None:
        """Raise a retriable error if the group coordinator cannot be reached (a broker down, moving)."""
        coordinator = self._consumer._coordinator  # noqa: SLF001 - poll() hides an unreachable coordinator
        if not coordinator.coordinator_unknown():
            self._found_coordinator = True
        elif self._found_coordinator or time.monotonic() - self._subscribed_at > DEADLINE_S:
            raise TransportError(f"polling: the group coordinator of {self._group} cannot be reached")

    def group_metadata(self) -> Any:
        return self._consumer.group_metadata()

    def commit(self) -> None:
        """Commit the positions reached (for readers outside transactions, e.g. receivers)."""
        try:
            with translated("committing offsets"):
                self._consumer.commit(timeout_ms=int(DEADLINE_S * 1000))
        except TransportError as exc:  # the group rebalanced: the next owner re-reads from the last commit
            if not isinstance(exc.__cause__, CommitFailedError):
                raise
            raise TransportError(str(exc), retriable=True) from exc.__cause__

    def rewind(self) -> None:
        """Go back to the committed offsets, after an aborted transaction."""
        with translated("rewinding to committed offsets"):
            for tp in self._consumer.assignment():
                committed = self._consumer.committed(tp, timeout_ms=int(DEADLINE_S * 1000))
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
        self._consumer.close(autocommit=False, timeout_ms=int(DEADLINE_S * 1000))


class Reader:
    """Reads whole topics without a group: for views rebuilt from Kafka (directory, records)."""

    def __init__(self, bootstrap: str, topics: Sequence[str], *, from_end: bool = False,
                 security: ClientSecurity = PLAINTEXT) -> None:
        self._consumer = new_consumer(bootstrap, group_id=None, security=security)
        self._security, self._what = security, f"topic {', '.join(topics)}"
        with translated(f"assigning {', '.join(topics)}", security, "read", self._what):
            parts = [TopicPartition(t, p) for t in topics for p in self._consumer.partitions_for_topic(t) or ()]
        missing = set(topics) - {tp.topic for tp in parts}
        if missing:
            self._consumer.close(autocommit=False)
            denied = denied_topics(bootstrap, security, missing)
            if denied:
                raise AuthorizationError(security.principal, "read", f"topic {', '.join(denied)}")
            raise TransportError(f"topic(s) {', '.join(sorted(missing))} do not exist", retriable=True)
        with translated(f"assigning {', '.join(topics)}"):
            self._consumer.assign(parts)
            if from_end:
                self._consumer.seek_to_end(*parts)
            else:
                self._consumer.seek_to_beginning(*parts)
        self._partitions = parts

    def poll(self, timeout_ms: int, max_records: int = 2000) -> list[Message]:
        with translated("reading", self._security, "read", self._what):
            return _flatten(self._consumer.poll(timeout_ms=timeout_ms, max_records=max_records))

    def caught_up(self) -> bool:
        """True when every partition has been read up to its end offset as of now."""
        with translated("checking end offsets"):
            ends = self._consumer.end_offsets(self._partitions)
            return all(self._consumer.position(tp) >= end for tp, end in ends.items())

    def read_to_end(self, timeout_s: float = 30.0) -> list[Message]:
        """Everything up to the end offsets as of now."""
        return read_to_end(lambda wait_ms: self.poll(timeout_ms=wait_ms), self.caught_up, timeout_s)

    def close(self) -> None:
        self._consumer.close(autocommit=False)
