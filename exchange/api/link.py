"""The API's link to the cluster: two background threads that keep `ApiState` current.

One polls `<ns>.directory` (read to its end before the API answers), the other reads the source
topics into the record store. A broker that stops answering is recorded in the state's
freshness (and `/health` says so); the threads keep trying.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable
from typing import TypeVar

from exchange.api.state import ApiState
from exchange.core.directory import DirectoryEvent
from exchange.core.directory_view import DirectoryView
from exchange.core.topics import Topics
from exchange.errors import TransportError
from exchange.kafka.directory_feed import DirectoryFeed, publish
from exchange.kafka.transport import GroupConsumer, Transport

log = logging.getLogger(__name__)
T = TypeVar("T")


class KafkaLink:
    """Feeds an `ApiState` from the cluster and publishes its directory events."""

    def __init__(self, transport: Transport, topics: Topics) -> None:
        self.transport, self.topics = transport, topics
        self.publisher = transport.producer(linger_ms=0)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []
        self._read: list[DirectoryEvent] = []

    def publish(self, events: list[DirectoryEvent]) -> None:
        publish(self.publisher, self.topics.directory, events)

    def start(self, state: ApiState) -> None:
        """Read the directory to its end, then keep both feeds running in the background."""
        read: list[DirectoryEvent] = []
        feed = DirectoryFeed(self.transport.reader([self.topics.directory]), DirectoryView(state.view.departments),
                             on_event=read.append)
        feed.catch_up()
        state.apply(read)
        read.clear()
        state.freshness.directory_read_at = time.monotonic()
        group = self.topics.api_group(uuid.uuid4().hex)  # never commits: every start rebuilds the store
        records = self.transport.subscriber(self.topics.source_pattern, group, metadata_max_age_ms=5000)
        self._read = read
        self._threads = [threading.Thread(target=self._directory, args=(feed, state), daemon=True, name="directory"),
                         threading.Thread(target=self._records, args=(records, state), daemon=True, name="records")]
        for thread in self._threads:
            thread.start()

    def _directory(self, feed: DirectoryFeed, state: ApiState) -> None:
        try:
            while not self._stop.is_set():
                if self._guarded(state, lambda: feed.poll(200)) is not None:
                    state.apply(self._read)
                    self._read.clear()
                    state.freshness.directory_read_at = time.monotonic()
        finally:
            feed.close()

    def _records(self, records: GroupConsumer, state: ApiState) -> None:
        try:
            while not self._stop.is_set():
                messages = self._guarded(state, lambda: records.poll(200))
                if messages is not None:
                    for message in messages:
                        state.store.apply(message)
                    state.freshness.records_read_at = time.monotonic()
        finally:
            records.close()

    def _guarded(self, state: ApiState, read: Callable[[], T]) -> T | None:
        """`read()`, or None (recorded in the state's freshness) when the cluster does not answer."""
        try:
            result = read()
        except TransportError as exc:
            state.freshness.broker_error = str(exc)
            log.warning("the cluster did not answer: %s", exc)
            self._stop.wait(1.0)
            return None
        state.freshness.broker_error = None
        return result

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self.publisher.close()
