"""The worker's open transaction, sized by time as well as count.

A transaction begins with the first event polled after the last commit and takes every batch
polled after it, until it holds `max_events` events, or `max_ms` have passed since it began, or a
poll comes back short (the input is drained), whichever comes first. At high load the polls come
back full and transactions grow large (the broker's per-transaction and per-partition work is paid
once for thousands of events); at low load each poll is short and commits at once, so an event
waits for no timer. Offsets are committed with the outputs (read-process-write).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

from exchange.core.decide import Outcome
from exchange.core.message import Message
from exchange.errors import TransportError
from exchange.kafka.transport import GroupConsumer, Partition, TransactionalProducer


class TransactionWindow:
    """The events of the transaction in hand, its consumed offsets and when it must commit."""

    def __init__(self, producer: TransactionalProducer, max_events: int, max_ms: int,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.producer, self.max_events, self.max_s = producer, max_events, max_ms / 1000
        self._clock = clock
        self.outcomes: list[Outcome] = []
        self.offsets: dict[Partition, int] = {}
        self.began: float | None = None
        self.aborted_by_rebalance = 0
        self._rebalanced = False
        self._revoke_failure: TransportError | None = None

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
        return max(math.ceil((self.began + self.max_s - self._clock()) * 1000), 0)

    def begin_if_closed(self) -> None:
        if self.began is None:
            self.producer.begin()
            self.began = self._clock()

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

    def commit(self, group: GroupConsumer) -> list[Outcome]:
        """Commit outputs and offsets; the outcomes committed are returned (for the metrics)."""
        self.producer.commit(self.offsets, group)
        return self._reset()

    def abort(self) -> list[Outcome]:
        """Abort the open transaction (if any); its events will be read again."""
        if self.began is not None:
            self._reset()
            self.producer.abort()
        return []

    def revoke(self, _partitions: set[Partition]) -> None:
        """Inside `poll()`, before the group takes partitions away: abort the open transaction at once, and
        remember that the batch this poll returns must be dropped (`rebalanced`)."""
        if self.began is None:
            return
        self.aborted_by_rebalance += 1
        try:
            self.abort()
        except TransportError as exc:
            self._revoke_failure = exc
        self._rebalanced = True

    def rebalanced(self) -> bool:
        """Whether a rebalance aborted the transaction during the last poll (a failed abort is raised)."""
        rebalanced, failure = self._rebalanced, self._revoke_failure
        self._rebalanced, self._revoke_failure = False, None
        if failure is not None:
            raise failure
        return rebalanced

    def _reset(self) -> list[Outcome]:
        outcomes, self.outcomes, self.offsets, self.began = self.outcomes, [], {}, None
        return outcomes
