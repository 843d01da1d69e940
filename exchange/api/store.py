"""The record lookup store: the latest valid state of every record, by resource and key.

Rebuilt from the source topics on start (a group of its own that never commits, so every start
reads from the beginning) and kept current while the API runs. Each event is checked by the
exchange core itself; an event the exchange would dead-letter never enters the store, and a
`deleted` event removes its record. Values are kept as they arrived, with their field offsets,
so a lookup renders the caller's view exactly as the exchange renders a delivery.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from exchange.core.decide import Exchange
from exchange.core.message import Message
from exchange.errors import InvalidEvent


@dataclass(frozen=True)
class Stored:
    """One record's latest valid event."""

    value: bytes
    bounds: list[int]
    region: str
    event_id: str
    event_time: str
    position: tuple[str, int, int]


class RecordStore:
    """Latest valid state per (resource, key); thread-safe."""

    def __init__(self, exchange: Exchange) -> None:
        self._exchange = exchange
        self._records: dict[tuple[str, str], Stored] = {}
        self._lock = threading.Lock()
        self.applied = 0
        self.refused = 0

    def apply(self, message: Message) -> bool:
        """Take one source event into the store; False when the exchange would dead-letter it."""
        try:
            valid = self._exchange.validate(message)
        except InvalidEvent:
            self.refused += 1
            return False
        event = valid.envelope
        key = (event.resource, event.subject)
        with self._lock:
            if event.action == "deleted":
                self._records.pop(key, None)
            else:
                self._records[key] = Stored(valid.value, valid.bounds, event.region, event.id, event.time,
                                            (message.topic, message.partition, message.offset))
            self.applied += 1
        return True

    def get(self, resource: str, key: str) -> Stored | None:
        with self._lock:
            return self._records.get((resource, key))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
