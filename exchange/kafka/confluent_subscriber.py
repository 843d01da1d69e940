"""confluent-kafka's consumer-group member (`exchange.kafka.client.Subscriber` on kafka-python).

It polls a topic pattern `read_committed`, gives partitions up through `on_revoke`, and commits
either inside the worker's transactions or, for receivers, by `commit()`. A receiver's commit that
finds the group has moved on (its session lapsed while a coordinator moved, or a rebalance) is
retriable, as kafka-python's `CommitFailedError`: the partitions' next owner, often this member once
it has rejoined, re-reads from the last commit, and a ledger tells a re-read offset from a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaError, KafkaException, TopicPartition

from exchange.core.message import Message
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import TransportError
from exchange.kafka.confluent import TIMEOUT_S, Partition, consumer_config, fetched_now, judged, messages_of, translated

OnRevoke = Callable[[set[Partition]], None]
# a commit refused because the group moved on without this member (or is moving): not this member's to fix
GROUP_MOVED_ON = {KafkaError._ASSIGNMENT_LOST, KafkaError.ILLEGAL_GENERATION, KafkaError.UNKNOWN_MEMBER_ID,
                  KafkaError.REBALANCE_IN_PROGRESS}


def commit_failure(error: KafkaError) -> TransportError | None:
    """What a failed `commit()` means: nothing (no offset consumed since the last), a retriable error
    (the group moved on: the next owner re-reads from the last commit), or librdkafka's verdict."""
    if error.code() == KafkaError._NO_OFFSET:
        return None
    if error.code() in GROUP_MOVED_ON:
        return TransportError(f"committing offsets failed, the group moved on (its partitions are re-read from "
                              f"the last commit): {error.name()}: {error.str()}", retriable=True)
    return judged("committing offsets", error)


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
        try:
            self._consumer.commit(asynchronous=False)
        except KafkaException as exc:
            failure = commit_failure(exc.args[0])
            if failure is not None:
                raise failure from exc

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
