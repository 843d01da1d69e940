"""The worker's transactions and what happens when one fails: abort or rebuild, re-read, give up in time.

One rule covers every retry path: once a batch is polled it is *unsettled* until its transaction
commits. Whatever fails in between — creating an inbox on demand, a send, the commit, the abort —
the next step first settles it: aborts the open transaction (or, if the producer is broken — fenced,
in a fatal state, or a call past its deadline — closes it and builds a new one with the same
transactional id, which fences the old epoch) and seeks the consumer back to its committed offsets.
Nothing polled is ever skipped. The order matters after a broken commit, whose outcome is
unknown (it may still complete): the new producer's initialisation returns only once the old
transaction is resolved, committed or aborted, and only then are the committed offsets read —
so a batch that did commit is not delivered again. A worker that has not completed a step for
`give_up_s` raises a non-retriable error, so the process exits non-zero with the reason instead
of hanging.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping

from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.transport import GroupConsumer, GroupMember, Partition, TransactionalProducer, Transport
from exchange.runtime.metrics import Metrics
from exchange.runtime.retry import RetryBudget

log = logging.getLogger(__name__)
Emit = Callable[[TransactionalProducer], None]


class ReadUnder:
    """The group membership at the moment a batch was polled, kept for its commit (KIP-447 fencing):
    if the group rebalances meanwhile, the broker refuses the offsets instead of accepting them
    under the new generation, and the batch is aborted and read again."""

    def __init__(self, group: GroupConsumer) -> None:
        self._metadata = group.group_metadata()

    def group_metadata(self) -> object:
        return self._metadata


class Transactions:
    """One transactional producer, one transaction per batch, and the recovery when one fails."""

    def __init__(self, transport: Transport, transactional_id: str, metrics: Metrics, *,
                 transaction_timeout_ms: int = 15000, give_up_s: float = 120.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._transport, self._id, self._metrics = transport, transactional_id, metrics
        self._timeout_ms, self._clock = transaction_timeout_ms, clock
        self._producer: TransactionalProducer | None = None
        self._opened_at: float | None = None
        self._budget = RetryBudget("worker", give_up_s, clock=clock)
        self._unsettled = self._in_transaction = self._broken = False
        metrics.transaction_open_seconds.set_function(self.open_seconds)
        for action in ("abort", "rebuild"):  # the dashboard's increase() needs the series before the first
            metrics.recoveries.labels(action)

    def open(self) -> TransactionalProducer:
        """Build the producer (initialising transactions); returns it for metadata warm-up."""
        self._producer = self._transport.transactional(self._id, transaction_timeout_ms=self._timeout_ms)
        return self._producer

    @property
    def producer(self) -> TransactionalProducer:
        if self._producer is None:
            raise TransactionBroken(f"the transactional producer {self._id} is being rebuilt")
        return self._producer

    def open_seconds(self) -> float:
        """How long the current transaction has been open; 0 between transactions."""
        return 0.0 if self._opened_at is None else max(self._clock() - self._opened_at, 0.0)

    def polled(self) -> None:
        """A batch was polled: it is unsettled until its transaction commits."""
        self._unsettled = True

    def deliver(self, emit: Emit, offsets: Mapping[Partition, int], group: GroupMember) -> None:
        """One transaction: begin, `emit` the outputs, commit them with the consumed `offsets` — fenced by
        `group`, the membership the batch was read under (a rebalance since makes the commit fail)."""
        producer = self.producer
        self._opened_at = self._clock()
        try:
            producer.begin()
            self._in_transaction = True
            emit(producer)
            producer.commit(offsets, group)
        except TransactionBroken:
            self._broken = True
            raise
        finally:
            self._opened_at = None
        self._in_transaction = self._unsettled = False

    def settle(self, group: GroupConsumer) -> None:
        """Undo a batch that did not commit: abort (or rebuild the producer), then re-read from committed offsets."""
        if not self._unsettled:
            return
        if self._in_transaction and not self._broken:
            self._abort()
        if self._broken or self._producer is None:
            self._rebuild()
        group.rewind()
        self._unsettled = False

    def _abort(self) -> None:
        self._metrics.transactions.labels("aborted").inc()
        try:
            self.producer.abort()
        except TransportError as exc:
            if not exc.retriable:
                raise
            log.warning("the abort failed, rebuilding the producer: %s", exc)
            self._broken = True
            return
        self._in_transaction = False
        self._metrics.recoveries.labels("abort").inc()

    def _rebuild(self) -> None:
        old, self._producer = self._producer, None
        if old is not None:
            try:
                old.close(0)
            except TransportError as exc:
                log.warning("closing the broken producer: %s", exc)
        log.warning("building a new transactional producer %s", self._id)
        self.open()
        self._broken = self._in_transaction = False
        self._metrics.recoveries.labels("rebuild").inc()

    def failed(self, exc: TransportError) -> None:
        """A step failed: re-raise a fatal error, or one that has lasted past `give_up_s`."""
        self._budget.failed(exc)

    def succeeded(self) -> None:
        self._budget.succeeded()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
