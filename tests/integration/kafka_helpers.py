"""Helpers for broker tests: run a worker in a thread, read a topic until a condition holds."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry

from exchange.core.message import Message
from exchange.core.topics import Topics
from exchange.kafka.client import Reader
from exchange.kafka.transport import kafka_transport
from exchange.runtime.metrics import Metrics
from exchange.worker import Worker, WorkerConfig


def read_until(bootstrap: str, topic: str, done: Callable[[list[Message]], bool], timeout_s: float = 60.0,
               settle_s: float = 0.0) -> list[Message]:
    """Read `topic` (read_committed) from the start until `done(messages)` holds, then keep reading for
    `settle_s` more seconds so that anything extra (a duplicate) would show up too."""
    reader = Reader(bootstrap, [topic])
    messages: list[Message] = []
    try:
        deadline = time.monotonic() + timeout_s
        while not done(messages):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met within {timeout_s}s; read {len(messages)} records")
            messages.extend(reader.poll(timeout_ms=200))
        settle_until = time.monotonic() + settle_s
        while time.monotonic() < settle_until:
            messages.extend(reader.poll(timeout_ms=200))
        return messages
    finally:
        reader.close()


@contextmanager
def running_worker(bootstrap: str, topics: Topics, worker_id: str = "0",
                   metrics: Metrics | None = None, **tuning: Any) -> Iterator[Worker]:
    """An exchange worker in a thread for the duration of the block; stopped and joined after.
    `tuning` sets `WorkerConfig` fields (transaction_events, transaction_ms, …)."""
    config = WorkerConfig(worker_id, group=f"{topics.namespace}-exchange", namespace=topics.namespace,
                          poll_ms=100, **tuning)
    worker = Worker(config, metrics or Metrics(CollectorRegistry()), kafka_transport(bootstrap))
    stop, ready, failure = threading.Event(), threading.Event(), []

    def work() -> None:
        try:
            worker.run(stop, ready.set)
        except BaseException as exc:  # surfaced to the test below
            failure.append(exc)
            ready.set()

    thread = threading.Thread(target=work, name=f"worker-{worker_id}", daemon=True)
    thread.start()
    ready.wait(60)
    if failure:
        raise failure[0]
    try:
        yield worker
    finally:
        stop.set()
        thread.join(60)
        if failure:
            raise failure[0]
