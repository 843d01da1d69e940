"""What `govx registry` serves from: the directory, compiled into the exchange's rules, kept current.

It reads `<ns>.directory` to its end before serving, then polls it in a background thread, so a
grant issued through the API gets its view schema (and id) here within a poll interval. The
compiled rules are the exchange's own (`exchange.core.rules`), so the ids are the exchange's.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping

from exchange.core.codec import SchemaRegistry
from exchange.core.directory import Department
from exchange.core.directory_view import DirectoryView
from exchange.core.rules import Rules
from exchange.core.topics import Topics
from exchange.errors import TransportError
from exchange.kafka.directory_feed import DirectoryFeed
from exchange.kafka.transport import Transport

log = logging.getLogger(__name__)


class RegistryFeed:
    """The compiled rules of the directory on the cluster, under one lock."""

    def __init__(self, transport: Transport, topics: Topics, departments: Mapping[str, Department]) -> None:
        self.lock = threading.RLock()
        self.rules = Rules(SchemaRegistry(), topics)
        self._feed = DirectoryFeed(transport.reader([topics.directory]), DirectoryView(departments))
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._follow, daemon=True, name="registry-directory")

    def start(self, timeout_s: float = 30.0) -> None:
        """Read the directory to its end, then follow it in the background."""
        self._apply(self._feed.catch_up(timeout_s))
        self._thread.start()

    def _apply(self, changed: set[str]) -> None:
        if changed:
            with self.lock:
                self.rules.update(self._feed.view, changed)

    def _follow(self) -> None:
        try:
            while not self._stop.is_set():
                try:
                    self._apply(self._feed.poll(200))
                except TransportError as exc:
                    log.warning("the cluster did not answer: %s", exc)
                    self._stop.wait(1.0)
        finally:
            self._feed.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(10)
        else:
            self._feed.close()
