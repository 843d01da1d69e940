"""An in-memory `Transport` for worker tests that need failures on cue (no broker: unit tests).

It models just what the worker's recovery depends on: a group consumer whose position moves on
with each poll and goes back to the committed offsets on `rewind()`, and transactional producers
whose outputs and offsets become visible only on commit (`commits` keeps the group metadata each
was fenced by), and a rebalance on cue (`rebalancing`). `failures` lists, per call name (`commit`,
`abort`, `ensure_topics`, `init`, `send` — part-way through a batch), errors to raise on the next calls.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from exchange.core.message import Headers, Message
from exchange.core.topics import TopicSpec
from exchange.errors import TransportError

Partition = tuple[str, int]


class Cluster:
    """What has been committed, and the failures still to inject."""

    def __init__(self, source: list[Message]) -> None:
        self.source = source
        self.committed: dict[Partition, int] = {}
        self.records: dict[str, list[bytes | None]] = defaultdict(list)
        self.failures: dict[str, list[TransportError]] = defaultdict(list)
        self.producers_built = 0
        self.topics: set[str] = set()
        self.subscribers: list[MemorySubscriber] = []
        self.commits: list[Any] = []

    def fail(self, call: str) -> None:
        if self.failures[call]:
            raise self.failures[call].pop(0)


class MemoryAdmin:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster

    def topics(self) -> set[str]:
        return set(self.cluster.topics)

    def ensure_topics(self, specs: Iterable[TopicSpec]) -> list[str]:
        self.cluster.fail("ensure_topics")
        names = [spec.name for spec in specs if spec.name not in self.cluster.topics]
        self.cluster.topics.update(names)
        return names

    def delete_topics(self, names: Iterable[str]) -> None: ...
    def partitions(self, topic: str) -> int:
        return 1

    def committed(self, group: str) -> dict[Partition, int]:
        return dict(self.cluster.committed)

    def close(self) -> None: ...


class MemoryProducer:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.pending: list[tuple[str, bytes | None]] = []

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        self.pending.append((topic, value))

    def send_batch(self, records: Iterable[tuple[str, bytes | None, bytes | None, Headers]]) -> None:
        for number, (topic, value, _, _) in enumerate(records):
            if number == 1:  # a send that fails part-way: the first record is already in the transaction
                self.cluster.fail("send")
            self.pending.append((topic, value))

    def prepare(self, topics: Iterable[str]) -> None: ...
    def flush(self, timeout_s: float | None = None) -> None:
        for topic, value in self.pending:
            self.cluster.records[topic].append(value)
        self.pending.clear()

    def close(self, timeout_s: float = 10.0) -> None: ...


class MemoryTransactional(MemoryProducer):
    def __init__(self, cluster: Cluster) -> None:
        super().__init__(cluster)
        cluster.fail("init")
        cluster.producers_built += 1

    def begin(self) -> None:
        self.pending.clear()

    def commit(self, offsets: Mapping[Partition, int], group: Any) -> None:
        self.cluster.fail("commit")
        self.cluster.commits.append(group.group_metadata())
        self.flush()
        self.cluster.committed.update(offsets)

    def abort(self) -> None:
        self.cluster.fail("abort")
        self.pending.clear()


class MemorySubscriber:
    """One partition of source messages; poll moves the position, rewind goes back to committed."""

    def __init__(self, cluster: Cluster, on_revoke: Callable[[set[Partition]], None] | None = None) -> None:
        self.cluster = cluster
        self.position = 0
        self.on_revoke = on_revoke
        self.rebalancing = False

    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]:
        if self.rebalancing:  # the group rebalances inside this poll: revoke, then resume from the commits
            self.rebalancing = False
            if self.on_revoke is not None:
                self.on_revoke(self.assignment())
            self.rewind()
        batch = self.cluster.source[self.position:self.position + max_records]
        self.position += len(batch)
        return batch

    def group_metadata(self) -> Any:
        return "group"

    def commit(self) -> None: ...
    def rewind(self) -> None:
        self.position = self.cluster.committed.get((self.cluster.source[0].topic, 0), 0)

    def assignment(self) -> set[Partition]:
        return {(self.cluster.source[0].topic, 0)}

    def lag(self) -> dict[Partition, tuple[int, int | None]]:
        return {}

    def close(self) -> None: ...


class EmptyReader:
    def poll(self, timeout_ms: int, max_records: int = 2000) -> list[Message]:
        return []

    def read_to_end(self, timeout_s: float = 30.0) -> list[Message]:
        return []

    def close(self) -> None: ...


class MemoryTransport:
    def __init__(self, cluster: Cluster) -> None:
        self.cluster = cluster
        self.bootstrap = "memory"

    def admin(self) -> MemoryAdmin:
        return MemoryAdmin(self.cluster)

    def producer(self, *, linger_ms: int = 5) -> MemoryProducer:
        return MemoryProducer(self.cluster)

    def transactional(self, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> MemoryTransactional:
        return MemoryTransactional(self.cluster)

    def subscriber(self, pattern: str, group: str, *, on_revoke: Callable[[set[Partition]], None] | None = None,
                   **tuning: Any) -> MemorySubscriber:
        self.cluster.subscribers.append(MemorySubscriber(self.cluster, on_revoke))
        return self.cluster.subscribers[-1]

    def reader(self, topics: Sequence[str], *, from_end: bool = False) -> EmptyReader:
        return EmptyReader()
