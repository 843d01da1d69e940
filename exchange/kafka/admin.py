"""Cluster administration through kafka-python: metadata, topics, group offsets.

kafka-python's errors become `TransportError` here (`translated`), where they enter govx.
"""

from __future__ import annotations

import socket
from collections.abc import Iterable
from dataclasses import dataclass

from kafka import KafkaAdminClient, TopicPartition
from kafka.errors import TopicAlreadyExistsError

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.core.topics import TopicSpec
from exchange.errors import AuthorizationError, TransportError
from exchange.kafka.client import RECONNECT, Partition, auth_config, new_consumer, translated


@dataclass(frozen=True)
class ClusterInfo:
    """What a metadata request says about the cluster."""

    cluster_id: str
    brokers: int
    controller_id: int


def _accepts_connections(bootstrap: str, timeout_s: float) -> bool:
    """Whether any bootstrap server accepts a TCP connection (checked before kafka-python is involved,
    whose clients leave sockets behind when the broker is not there yet)."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]") or "127.0.0.1", int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


def ping(bootstrap: str, timeout_s: float = 2.0, security: ClientSecurity = PLAINTEXT) -> ClusterInfo | None:
    """Ask the cluster for its metadata; None when nothing answers in time. A refused password
    raises `AuthorizationError`: the cluster is there, but not for this principal."""
    if not _accepts_connections(bootstrap, timeout_s):
        return None
    try:
        admin = Admin(bootstrap, timeout_s=timeout_s, security=security)
    except AuthorizationError:
        raise
    except TransportError:
        return None
    try:
        return admin.describe_cluster()
    except TransportError:
        return None
    finally:
        admin.close()


class Admin:
    """Topic and group administration."""

    def __init__(self, bootstrap: str, *, timeout_s: float = 10.0, security: ClientSecurity = PLAINTEXT) -> None:
        self._bootstrap = bootstrap
        self._timeout_ms = int(timeout_s * 1000)
        self.security = security
        with translated(f"connecting to {bootstrap}", security, "connect to", bootstrap):
            self._client = KafkaAdminClient(
                bootstrap_servers=bootstrap, request_timeout_ms=self._timeout_ms,
                bootstrap_timeout_ms=self._timeout_ms, client_id="govx-admin", **auth_config(bootstrap, security),
                **RECONNECT,
            )

    @property
    def client(self) -> KafkaAdminClient:
        """The kafka-python admin client, for `exchange.kafka.access` (ACLs, SCRAM credentials)."""
        return self._client

    def describe_cluster(self) -> ClusterInfo:
        with translated("describing the cluster"):
            info = self._client.describe_cluster()
        return ClusterInfo(str(info["cluster_id"]), len(info["brokers"]), int(info["controller_id"]))

    def broker_version(self) -> str:
        """The Kafka version of a broker, as kafka-python infers it from the API versions it supports."""
        with translated("asking a broker for its API versions"):
            brokers = self._client.describe_cluster()["brokers"]
            data = self._client.get_broker_version_data(brokers[0]["broker_id"])
        return ".".join(str(part) for part in data.broker_version)

    def topics(self) -> set[str]:
        with translated("listing topics"):
            return set(self._client.list_topics())

    def ensure_topics(self, specs: Iterable[TopicSpec]) -> list[str]:
        """Create the topics that do not exist yet; return the names created."""
        existing = self.topics()
        missing = [spec for spec in specs if spec.name not in existing]
        created = []
        for spec in missing:
            request = {spec.name: {"num_partitions": spec.partitions, "replication_factor": -1,
                                   "configs": spec.broker_configs()}}
            try:
                with translated(f"creating topic {spec.name}", self.security, "create", f"topic {spec.name}"):
                    self._client.create_topics(request, timeout_ms=self._timeout_ms, wait_for_metadata=True)
                created.append(spec.name)
            except TransportError as exc:
                if not isinstance(exc.__cause__, TopicAlreadyExistsError):
                    raise
        return created

    def delete_topics(self, names: Iterable[str]) -> None:
        existing = self.topics()
        present = [name for name in names if name in existing]
        if present:
            with translated("deleting topics"):
                self._client.delete_topics(present, timeout_ms=self._timeout_ms)

    def partitions(self, topic: str) -> int:
        with translated(f"describing topic {topic}"):
            described = self._client.describe_topics([topic])
        return len(described[0]["partitions"]) if described else 0

    def committed(self, group: str) -> dict[Partition, int]:
        """The offsets `group` has committed, per partition."""
        with translated(f"reading offsets of group {group}"):
            offsets = self._client.list_group_offsets({group: None}).get(group, {})
        return {(tp.topic, tp.partition): int(meta.offset) for tp, meta in offsets.items() if meta.offset >= 0}

    def transaction_coordinator(self, transactional_id: str) -> int:
        """The node id of the broker coordinating `transactional_id`'s transactions."""
        with translated(f"describing the transactions of {transactional_id}"):
            described = self._client.describe_transactions([transactional_id])
        return int(described[transactional_id].coordinator_id)

    def replicas(self, topic: str) -> list[int]:
        """The replica count of each partition of `topic`."""
        with translated(f"describing topic {topic}"):
            described = self._client.describe_topics([topic])
        return [len(partition["replica_nodes"]) for partition in described[0]["partitions"]] if described else []

    def close(self) -> None:
        self._client.close()


def end_offsets(bootstrap: str, topics: Iterable[str], security: ClientSecurity = PLAINTEXT) -> dict[Partition, int]:
    """The current end offset of every partition of `topics` for a read_committed consumer (the LSO)."""
    return _ends(bootstrap, topics, security, "read_committed")


def settled_end_offsets(bootstrap: str, topics: Iterable[str],
                        security: ClientSecurity = PLAINTEXT) -> dict[Partition, int]:
    """`end_offsets` once no transaction is open on any of the partitions: while one is (a frozen or dead
    worker's, until the broker aborts it), the records after its start are not readable yet, so where
    everything ends is not known, and a retriable error says so."""
    topics = list(topics)
    stable = _ends(bootstrap, topics, security, "read_committed")
    everything = _ends(bootstrap, topics, security, "read_uncommitted")
    open_on = sorted(f"{t}/{p}" for (t, p), end in stable.items() if end < everything.get((t, p), end))
    if open_on:
        raise TransportError(f"a transaction is still open on {len(open_on)} partition(s), e.g. {open_on[0]}")
    return stable


def _ends(bootstrap: str, topics: Iterable[str], security: ClientSecurity, isolation: str) -> dict[Partition, int]:
    consumer = new_consumer(bootstrap, group_id=None, security=security, isolation_level=isolation)
    try:
        with translated("reading end offsets"):
            partitions = [TopicPartition(t, p) for t in topics for p in consumer.partitions_for_topic(t) or ()]
            ends = consumer.end_offsets(partitions) if partitions else {}
        return {(tp.topic, tp.partition): int(offset) for tp, offset in ends.items()}
    finally:
        consumer.close()
