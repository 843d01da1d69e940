"""Whole-topic reads on confluent-kafka (the `confluent` transport's `TopicReader`): views rebuilt from Kafka."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka import OFFSET_BEGINNING, OFFSET_END, Consumer, KafkaError, KafkaException, TopicPartition

from exchange.core.message import Message
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import TransportError
from exchange.kafka.confluent import (
    TIMEOUT_S,
    Partition,
    consumer_config,
    fetched_now,
    messages_of,
    transient,
    translated,
)
from exchange.kafka.reading import read_to_end

# librdkafka looks up the coordinator of the group id every consumer must have, though a reader never
# joins or commits: a principal with no rights on that group is refused there, harmlessly
NOT_ITS_GROUP = frozenset({KafkaError.GROUP_AUTHORIZATION_FAILED})
# a topic just created is known to the cluster's metadata before its leader knows the partition (3 nodes):
# librdkafka reports the failed offset query as a record and asks again by itself
LEADER_NOT_READY = frozenset({KafkaError.UNKNOWN_TOPIC_OR_PART, KafkaError.NOT_LEADER_FOR_PARTITION,
                              KafkaError.LEADER_NOT_AVAILABLE})


class RdReader:
    """Reads whole topics without a group: for views rebuilt from Kafka (directory, records)."""

    def __init__(self, bootstrap: str, topics: Sequence[str], *, from_end: bool = False,
                 security: ClientSecurity = PLAINTEXT) -> None:
        self._security, self._what = security, f"topic {', '.join(topics)}"
        self._consumer = Consumer(consumer_config(bootstrap, "govx-reader", security))  # assigned, never joins
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
        """What is there as soon as anything is (`fetched_now`)."""
        with translated("reading", self._security, "read", self._what):
            records = fetched_now(self._consumer, timeout_ms, max_records)
            messages = messages_of(records, "reading", self._security, self._what, NOT_ITS_GROUP | LEADER_NOT_READY)
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
        return read_to_end(lambda wait_ms: self.poll(timeout_ms=wait_ms), self.caught_up, timeout_s)

    def close(self) -> None:
        with translated("closing the reader"):
            self._consumer.close()
