"""The worker's open transaction, sized by time as well as count.

A transaction begins with the first event polled after the last commit and takes every batch
polled after it, until it holds `max_events` events, or `max_ms` have passed since it began, or a
poll comes back short (the input is drained), whichever comes first. At high load the polls come
back full and transactions grow large (the broker's per-transaction and per-partition work is paid
once for thousands of events); at low load each poll is short and commits at once, so an event
waits for no timer. This is the bookkeeping only; `exchange/recovery.py` makes the producer calls.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from exchange.core.decide import Outcome
from exchange.core.message import Message

Partition = tuple[str, int]


class TransactionWindow:
    """The events of the transaction in hand, its consumed offsets and when it must commit."""

    def __init__(self, max_events: int, max_ms: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_events, self.max_s = max_events, max_ms / 1000
        self._clock = clock
        self.outcomes: list[Outcome] = []
        self.offsets: dict[Partition, int] = {}
        self.began: float | None = None

    @property
    def open(self) -> bool:
        return self.began is not None

    def room(self) -> int:
        """How many more events this transaction takes."""
        return max(self.max_events - len(self.outcomes), 1)

    def wait_ms(self, idle_ms: int) -> int:
        """How long the next poll may wait: `idle_ms` with no transaction open, else until it is due."""
        if self.began is None:
            return idle_ms
        return min(max(math.ceil((self.began + self.max_s - self._clock()) * 1000), 0), idle_ms)

    def opened(self) -> None:
        """The transaction began (now)."""
        if self.began is None:
            self.began = self._clock()

    def age_s(self) -> float:
        """How long the transaction has been open; 0 with none open."""
        return 0.0 if self.began is None else max(self._clock() - self.began, 0.0)

    def add(self, batch: list[Message], outcomes: list[Outcome]) -> None:
        """Count a batch whose records were sent inside this transaction."""
        self.outcomes.extend(outcomes)
        for message in batch:
            self.offsets[(message.topic, message.partition)] = message.offset + 1

    def due(self, drained: bool = False) -> bool:
        """Whether to commit now: `max_events` reached, `max_ms` passed, or the input `drained` (the
        last poll returned less than it asked for: nothing is waiting, so waiting buys only latency)."""
        return self.began is not None and (drained or len(self.outcomes) >= self.max_events
                                           or self._clock() - self.began >= self.max_s)

    def reset(self) -> tuple[list[Outcome], float]:
        """Empty the window; returns what it held and how long it was open."""
        held = self.outcomes, self.age_s()
        self.outcomes, self.offsets, self.began = [], {}, None
        return held
