"""The worker's transactions and what happens when one fails: abort or rebuild, re-read, give up in time.

A transaction spans polls (`exchange/transaction.py` sizes it by count and time). One rule covers
every retry path: once a batch is polled it is *unsettled* until its transaction commits. Whatever
fails in between — creating an inbox on demand, a send, the commit, the abort — the next step first
settles it: aborts the open transaction (or, if the producer is broken — fenced, in a fatal state,
or a call past its deadline — closes it and builds a new one with the same transactional id, which
fences the old epoch) and seeks the consumer back to its committed offsets. A rebalance that takes
partitions away while batches are unsettled is settled the same way, and the poll's batch dropped.
Nothing polled is ever skipped. The order matters after a broken commit, whose outcome is
unknown (it may still complete): the new producer's initialisation returns only once the old
transaction is resolved, committed or aborted, and only then are the committed offsets read —
so a batch that did commit is not delivered again. A worker that has not completed a step for
`give_up_s` raises a non-retriable error, so the process exits non-zero with the reason instead
of hanging — a step that polled but did not commit does not count as one completed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from exchange.core.decide import Outcome
from exchange.core.message import Message
from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.transport import GroupConsumer, GroupMember, Partition, TransactionalProducer, Transport
from exchange.runtime.metrics import Metrics
from exchange.runtime.retry import RetryBudget
from exchange.transaction import TransactionWindow

log = logging.getLogger(__name__)
Emit = Callable[[TransactionalProducer], None]


class ReadUnder:
    """The group membership at the moment a batch was polled, kept for its commit (KIP-447 fencing):
    if the group rebalances meanwhile, the broker refuses the offsets instead of accepting them
    under the new generation, and the batch is aborted and read again."""

    def __init__(self, group: GroupMember) -> None:
        self._metadata = group.group_metadata()

    def group_metadata(self) -> object:
        return self._metadata


class Transactions:
    """One transactional producer, the transaction in hand (spanning polls), and the recovery when one fails."""

    def __init__(self, transport: Transport, transactional_id: str, metrics: Metrics, *,
                 max_events: int = 5000, max_ms: int = 1000, transaction_timeout_ms: int = 15000,
                 give_up_s: float = 120.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._transport, self._id, self._metrics = transport, transactional_id, metrics
        self._timeout_ms = transaction_timeout_ms
        self.window = TransactionWindow(max_events, max_ms, clock)
        self._producer: TransactionalProducer | None = None
        self._member: ReadUnder | None = None
        self._budget = RetryBudget("worker", give_up_s, clock=clock)
        self._unsettled = self._in_transaction = self._broken = self._revoked = self._undo = False
        metrics.transaction_open_seconds.set_function(self.window.age_s)
        for action in ("abort", "rebuild", "rebalance"):  # the dashboard's increase() needs the series first
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

    def polled(self) -> None:
        """A batch was polled: it is unsettled until its transaction commits."""
        self._unsettled = True

    def add(self, emit: Emit, batch: list[Message], outcomes: list[Outcome], group: GroupMember) -> None:
        """Send a batch's outputs (`emit`) inside the transaction in hand, beginning one if none is open;
        the transaction's offsets commit under the membership (`group`) its first batch was read under."""
        producer = self.producer
        try:
            if self._member is None:
                producer.begin()
                self._member, self._in_transaction = ReadUnder(group), True
                self.window.opened()
            emit(producer)
        except TransactionBroken:
            self._broken = True
            raise
        self.window.add(batch, outcomes)

    def commit(self) -> tuple[list[Outcome], float]:
        """Commit the outputs with the consumed offsets, fenced by the membership they were read under
        (a rebalance since makes the commit fail); returns the outcomes committed and the transaction's age."""
        if self._member is not None:
            try:
                self.producer.commit(self.window.offsets, self._member)
            except TransactionBroken:
                self._broken = True
                raise
        committed = self.window.reset()
        self._in_transaction = self._unsettled = False
        self._member = None
        return committed

    def revoked(self, _partitions: set[Partition]) -> None:
        """Inside `poll()`, before the group takes partitions away: what is unsettled must be read again."""
        self._revoked = self._unsettled

    def rebalanced(self) -> bool:
        """Whether the last poll's rebalance unsettled the transaction in hand (its batch is then dropped)."""
        revoked, self._revoked = self._revoked, False
        if revoked:
            self._metrics.recoveries.labels("rebalance").inc()
            self._undo = True
        return revoked

    def settle(self, group: GroupConsumer, *, now: bool = False) -> None:
        """After a failed step or a rebalance (or `now`), undo what did not commit: abort (or rebuild the
        producer), then re-read from committed offsets."""
        if not (self._unsettled and (self._undo or now)):
            return
        if self._in_transaction and not self._broken:
            self._abort()
        if self._broken or self._producer is None:
            self._rebuild()
        group.rewind()
        self.window.reset()
        self._unsettled = self._revoked = self._undo = False
        self._member = None

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
        """A step failed: what it left unsettled is undone by the next `settle`; a fatal error, or one
        that has lasted past `give_up_s`, is re-raised."""
        self._undo = self._unsettled
        self._budget.failed(exc)

    def succeeded(self) -> None:
        """A step completed: the count of failing time starts again only once nothing is unsettled (the
        transaction committed, or nothing was polled) — steps that only poll and add to a transaction
        whose commits keep failing are no recovery."""
        if not self._unsettled:
            self._budget.succeeded()

    def close(self) -> None:
        if self._producer is not None:
            self._producer.close()
