"""The API's link to the cluster: background threads that keep `ApiState` current, and its writers.

One thread polls `<ns>.directory` (read to its end before the API answers) and hands what it read to
`ApiState.receive`, another reads the source topics into the record store, a third asks the broker
every two seconds whether it accepts connections (what `/health` reports: requests never wait for the broker).
Directory writes go through a `BoundedPublisher` (acks=all, idempotent; at most the write timeout);
look-up usage records go to `<ns>.audit` through a queue, so no request waits on the network.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import TypeVar

from exchange.api.state import ApiState
from exchange.api.writes import ABSENT, BoundedPublisher, Send
from exchange.core.directory import DirectoryEvent
from exchange.core.directory_apply import Verdict
from exchange.core.topics import Topics
from exchange.errors import TransportError, WriteUnavailable
from exchange.kafka.directory_feed import publish
from exchange.kafka.transport import GroupConsumer, Producer, TopicReader, Transport

log = logging.getLogger(__name__)
T = TypeVar("T")
AUDIT_QUEUE = 10_000
CLOCK_MARGIN_S = 0.5  # how far the API's and the broker's clocks may disagree


PROBE_EVERY_S = 0.5  # /health reports a broker gone within about this (a TCP connect: cheap)


def reachable(bootstrap: str, timeout_s: float) -> bool:
    """Whether any bootstrap server accepts a connection (a TCP probe: no client, no request)."""
    for server in bootstrap.split(","):
        host, _, port = server.strip().rpartition(":")
        try:
            with socket.create_connection((host.strip("[]"), int(port)), timeout=timeout_s):
                return True
        except (OSError, ValueError):
            continue
    return False


class KafkaLink:
    """Feeds an `ApiState` from the cluster and publishes its directory events and usage records."""

    def __init__(self, transport: Transport, topics: Topics) -> None:
        self.transport, self.topics = transport, topics
        self._producer: Producer | None = None
        self.writes = BoundedPublisher(self._open_writer, self._close_writer)
        self._audit: queue.Queue[tuple[bytes, bytes]] = queue.Queue(AUDIT_QUEUE)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def publish(self, events: list[DirectoryEvent], timeout_s: float) -> None:
        self.writes.publish(events, timeout_s)

    def usage(self, key: bytes, record: bytes) -> None:
        """Queue a usage record for `<ns>.audit`; 503 (nothing answered) when the queue is full."""
        try:
            self._audit.put_nowait((key, record))
        except queue.Full:
            raise WriteUnavailable("usage records cannot be written now, so no record is looked up") from None

    def _open_writer(self) -> Send:
        producer = self._producer = self.transport.producer(linger_ms=0)

        def send(events: list[DirectoryEvent], handed: Callable[[], None]) -> None:
            publish(producer, self.topics.directory, events, handed=handed)

        return send

    def _close_writer(self) -> None:
        if self._producer is not None:
            try:
                self._producer.close(0)  # drops what it still holds: a timed-out write is never sent later
            except TransportError as exc:
                log.warning("closing the directory producer: %s", exc)
            self._producer = None

    def start(self, state: ApiState) -> None:
        """Read the directory to its end, then keep the feeds running in the background."""
        reader = self.transport.reader([self.topics.directory])
        state.receive(reader.read_to_end())
        state.freshness.directory_read_at = time.monotonic()
        group = self.topics.api_group(uuid.uuid4().hex)  # never commits: every start rebuilds the store
        records = self.transport.subscriber(self.topics.source_pattern, group, metadata_max_age_ms=5000)
        targets: list[tuple[str, Callable[[], None]]] = [
            ("directory", lambda: self._directory(reader, state)), ("records", lambda: self._records(records, state)),
            ("broker-probe", lambda: self._probe(state)), ("audit", self._usage_writer)]
        self._threads = [threading.Thread(target=run, daemon=True, name=name) for name, run in targets]
        for thread in self._threads:
            thread.start()

    def _directory(self, reader: TopicReader, state: ApiState) -> None:
        try:
            while not self._stop.is_set():
                messages = self._guarded(state, lambda: reader.poll(200))
                if messages is not None:
                    state.receive(messages)
                    if state.freshness.broker_error is None:
                        state.freshness.directory_read_at = time.monotonic()
                    self._confirm_absent(reader, state)
                self._reassert(state)
        finally:
            reader.close()

    def _confirm_absent(self, reader: TopicReader, state: ApiState) -> None:
        """Writes past their deadline that the log does not hold: once this reader has read up to end
        offsets asked for after the deadline, any later append is past it, so they can never apply."""
        overdue = state.pending.past_deadline(state.wall() - timedelta(seconds=CLOCK_MARGIN_S))
        if not overdue:
            return
        rest = self._guarded(state, lambda: reader.read_to_end(1.0))  # to end offsets asked for now
        if rest is not None:
            state.receive(rest)
            for event in overdue:  # a verdict read above came first; this one only settles the others
                state.pending.resolve(Verdict(event, ABSENT))

    def _reassert(self, state: ApiState) -> None:
        """Write again the state that beat (or outlived) a write of this process (see `ApiState._reassert`)."""
        with state.lock:
            events, state.reasserts[:] = list(state.reasserts), []
        if events:
            try:
                self.writes.publish(events, state.limits.write_timeout_s)
            except TransportError as exc:
                log.warning("re-asserting %d directory entities failed, will retry: %s", len(events), exc)
                with state.lock:
                    state.reasserts.extend(events)

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

    def _probe(self, state: ApiState) -> None:
        while not self._stop.is_set():
            answered = reachable(self.transport.bootstrap, 1.0)
            state.freshness.broker_error = None if answered else f"no broker of {self.transport.bootstrap} answers"
            self._stop.wait(PROBE_EVERY_S)

    def _usage_writer(self) -> None:
        producer = self.transport.producer()
        try:
            while not self._stop.is_set():
                try:
                    key, record = self._audit.get(timeout=0.2)
                except queue.Empty:
                    continue
                self._send_until_taken(producer, key, record)
        finally:
            producer.close()

    def _send_until_taken(self, producer: Producer, key: bytes, record: bytes) -> None:
        while not self._stop.is_set():
            try:
                producer.send(self.topics.audit, record, key=key)
                producer.flush(5.0)
                return
            except TransportError as exc:
                log.warning("writing a usage record failed, retrying: %s", exc)
                self._stop.wait(1.0)

    def _guarded(self, state: ApiState, read: Callable[[], T]) -> T | None:
        """`read()`, or None (recorded in the state's freshness) when the cluster does not answer."""
        try:
            return read()
        except TransportError as exc:
            state.freshness.broker_error = str(exc)
            log.warning("the cluster did not answer: %s", exc)
            self._stop.wait(1.0)
            return None

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(10)
        self.writes.close()
