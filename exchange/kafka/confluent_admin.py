"""Topic and group administration on confluent-kafka's AdminClient (the `confluent` transport).

Every request waits for its future with a timeout; librdkafka's errors become `TransportError`
(`exchange.kafka.confluent.transport_error`), where they enter govx.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from concurrent.futures import Future
from typing import Any

from confluent_kafka import ConsumerGroupTopicPartitions, KafkaError, KafkaException
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.core.topics import TopicSpec
from exchange.errors import TransportError
from exchange.kafka.confluent import TIMEOUT_S, Partition, client_config, translated


def _wait(future: Future[Any], action: str, timeout_s: float, security: ClientSecurity = PLAINTEXT,
          operation: str = "use", resource: str | None = None) -> Any:
    with translated(action, security, operation, resource):
        try:
            return future.result(timeout=timeout_s)
        except TimeoutError as exc:
            raise TransportError(f"{action} timed out after {timeout_s:.0f} s", retriable=True) from exc


class RdAdmin:
    """Topic and group administration."""

    def __init__(self, bootstrap: str, *, timeout_s: float = TIMEOUT_S, security: ClientSecurity = PLAINTEXT) -> None:
        self._timeout_s, self._security = timeout_s, security
        with translated(f"connecting to {bootstrap}", security, "connect to", bootstrap):
            self._client = AdminClient({**client_config(bootstrap, security), "client.id": "govx-admin"})

    def topics(self) -> set[str]:
        with translated("listing topics", self._security, "describe", "topics"):
            listed = self._client.list_topics(timeout=self._timeout_s).topics
        return {name for name, meta in listed.items() if meta.error is None and not name.startswith("__")}

    def ensure_topics(self, specs: Iterable[TopicSpec]) -> list[str]:
        """Create the topics that do not exist yet, wait until the cluster lists them; return those created."""
        existing = self.topics()
        missing = [spec for spec in specs if spec.name not in existing]
        if not missing:
            return []
        requests = [NewTopic(spec.name, spec.partitions, replication_factor=-1, config=spec.broker_configs())
                    for spec in missing]
        with translated("creating topics", self._security, "create", "topics"):
            futures = self._client.create_topics(requests, request_timeout=self._timeout_s)
        created = []
        for name, future in futures.items():
            try:
                _wait(future, f"creating topic {name}", self._timeout_s, self._security, "create", f"topic {name}")
                created.append(name)
            except TransportError as exc:
                cause = exc.__cause__
                if not (isinstance(cause, KafkaException) and cause.args[0].code() == KafkaError.TOPIC_ALREADY_EXISTS):
                    raise
        self._await_listed({spec.name for spec in missing})
        return created

    def _led(self) -> set[str]:
        """The topics listed with a leader for every partition."""
        with translated("listing topics", self._security, "describe", "topics"):
            listed = self._client.list_topics(timeout=self._timeout_s).topics
        return {name for name, meta in listed.items() if meta.error is None and meta.partitions
                and all(part.leader >= 0 for part in meta.partitions.values())}

    def _await_listed(self, names: set[str]) -> None:
        """Wait until the new topics are listed and led (as kafka-python's `wait_for_metadata`)."""
        deadline = time.monotonic() + self._timeout_s
        while not names <= self._led():
            if time.monotonic() > deadline:
                raise TransportError(f"topics {', '.join(sorted(names - self._led()))} have no leader in time")
            time.sleep(0.05)  # a new topic's leader is elected within milliseconds

    def delete_topics(self, names: Iterable[str]) -> None:
        existing = self.topics()
        present = [name for name in names if name in existing]
        if not present:
            return
        with translated("deleting topics", self._security, "delete", "topics"):
            futures = self._client.delete_topics(present, request_timeout=self._timeout_s)
        for name, future in futures.items():
            _wait(future, f"deleting topic {name}", self._timeout_s, self._security, "delete", f"topic {name}")

    def partitions(self, topic: str) -> int:
        with translated(f"describing topic {topic}", self._security, "describe", f"topic {topic}"):
            meta = self._client.list_topics(topic, timeout=self._timeout_s).topics.get(topic)
        return len(meta.partitions) if meta is not None and meta.error is None else 0

    def committed(self, group: str) -> dict[Partition, int]:
        """The offsets `group` has committed, per partition."""
        with translated(f"reading offsets of group {group}", self._security, "describe", f"group {group}"):
            futures = self._client.list_consumer_group_offsets([ConsumerGroupTopicPartitions(group)],
                                                               request_timeout=self._timeout_s)
        result = _wait(futures[group], f"reading offsets of group {group}", self._timeout_s, self._security,
                       "describe", f"group {group}")
        return {(tp.topic, tp.partition): int(tp.offset) for tp in result.topic_partitions or () if tp.offset >= 0}

    def close(self) -> None:
        """The AdminClient holds no group or transaction; its threads end when it is collected."""
        self._client = None  # type: ignore[assignment]
