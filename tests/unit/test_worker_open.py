"""A worker that fails to open halfway closes every client it had opened (the transport is passed in)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from exchange.core.message import Headers, Message
from exchange.core.topics import TopicSpec
from exchange.errors import TransportError
from exchange.kafka.transport import GroupConsumer, Partition
from exchange.runtime.metrics import Metrics
from exchange.worker import Worker, WorkerConfig


class Client:
    """A client double that records whether it was closed; every operation succeeds and does nothing."""

    def __init__(self, name: str, log: list[str]) -> None:
        self.name, self._log = name, log
        log.append(f"open {name}")

    def close(self, timeout_s: float = 10.0) -> None:
        self._log.append(f"close {self.name}")

    def topics(self) -> set[str]:
        return set()

    def ensure_topics(self, specs: Iterable[TopicSpec]) -> list[str]:
        return [spec.name for spec in specs]

    def delete_topics(self, names: Iterable[str]) -> None: ...
    def partitions(self, topic: str) -> int: return 1
    def committed(self, group: str) -> dict[Partition, int]: return {}

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None: ...
    def prepare(self, topics: Iterable[str]) -> None: ...
    def flush(self, timeout_s: float | None = None) -> None: ...
    def begin(self) -> None: ...
    def commit(self, offsets: Mapping[Partition, int], group: GroupConsumer) -> None: ...
    def abort(self) -> None: ...
    def poll(self, timeout_ms: int, max_records: int = 500) -> list[Message]: return []
    def read_to_end(self, timeout_s: float = 30.0) -> list[Message]: return []


class FailingAt:
    """A transport whose `failing` client cannot be built; records opens and closes in order."""

    bootstrap = "nowhere:9092"

    def __init__(self, failing: str) -> None:
        self.failing = failing
        self.log: list[str] = []

    def _build(self, name: str) -> Any:
        if name == self.failing:
            raise TransportError(f"{name}: the cluster did not answer", retriable=True)
        return Client(name, self.log)

    def admin(self) -> Any: return self._build("admin")
    def producer(self, *, linger_ms: int = 5) -> Any: return self._build("producer")
    def transactional(self, transactional_id: str, *, transaction_timeout_ms: int = 15000) -> Any:
        return self._build("transactional")
    def subscriber(self, pattern: str, group: str, **tuning: Any) -> Any: return self._build("subscriber")
    def reader(self, topics: Sequence[str], *, from_end: bool = False) -> Any: return self._build("reader")


@pytest.mark.parametrize("failing", ["producer", "reader", "transactional", "subscriber"])
def test_a_client_failing_to_open_closes_the_ones_opened_before_it(failing: str) -> None:
    transport = FailingAt(failing)
    worker = Worker(WorkerConfig("1"), Metrics(CollectorRegistry()), transport)
    with pytest.raises(TransportError, match=failing):
        worker.open()
    opened = [entry.split()[1] for entry in transport.log if entry.startswith("open")]
    closed = [entry.split()[1] for entry in transport.log if entry.startswith("close")]
    assert opened and closed == list(reversed(opened))


def test_an_opened_worker_closes_every_client_last_opened_first() -> None:
    transport = FailingAt("nothing")
    worker = Worker(WorkerConfig("1"), Metrics(CollectorRegistry()), transport)
    worker.open()
    worker.close()
    assert transport.log == ["open admin", "open producer", "open reader", "open transactional", "open subscriber",
                             "close subscriber", "close transactional", "close reader", "close producer",
                             "close admin"]
