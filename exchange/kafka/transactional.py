"""kafka-python's transactional producer, with a deadline on every transaction call.

kafka-python's `send_offsets_to_transaction()`, `commit_transaction()` and `abort_transaction()`
wait without a timeout: when the broker hosting the transaction coordinator dies, a worker
blocked there stays blocked after leadership has moved. Here each call enqueues the library's
request and waits on its result with a deadline. A call past its deadline — or one the library
answers with fencing or a fatal state — raises `TransactionBroken`: the producer is finished and
the caller builds a new one with the same transactional id (`exchange/recovery.py`).

Offsets are committed only under a real membership (KIP-447 fencing). kafka-python reports a consumer
the group has dropped as generation -1 with no member id, which the broker accepts without any check,
so such a commit is refused here. And a failed offsets step breaks the producer: kafka-python keeps the
offsets the broker refused pending and would send them with the next transaction's offsets — a
partition since given to another worker would be moved back (re-delivered) or ahead (skipped).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from kafka import TopicPartition
from kafka.errors import (
    AuthorizationError,
    IllegalStateError,
    InvalidProducerEpochError,
    InvalidTxnStateError,
    KafkaError,
    KafkaTimeoutError,
    ProducerFencedError,
    TransactionalIdAuthorizationFailedError,
    UnsupportedVersionError,
)
from kafka.structs import OffsetAndMetadata

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.client import GroupMember, Partition, Publisher
from exchange.kafka.refusals import refused

FATAL = (AuthorizationError, TransactionalIdAuthorizationFailedError, UnsupportedVersionError)
# A transaction call normally takes milliseconds; one still waiting after 10 s waits for a coordinator
# that has gone (a KRaft cluster fences a dead broker after 9 s), and the new producer finds the new one.
TRANSACTION_DEADLINE_S = 10.0
BROKEN = (ProducerFencedError, InvalidProducerEpochError, InvalidTxnStateError, IllegalStateError, KafkaTimeoutError)


@contextmanager
def transaction_call(action: str, broken: tuple[type[Exception], ...] = BROKEN) -> Iterator[None]:
    """Translate a transaction call's failure: fatal (exit), broken (rebuild) or retriable (abort, retry)."""
    try:
        yield
    except FATAL as exc:
        raise TransportError(f"{action} failed: {type(exc).__name__}: {exc}", retriable=False) from exc
    except broken as exc:
        raise TransactionBroken(f"{action} failed: {type(exc).__name__}: {exc}") from exc
    except KafkaError as exc:
        raise TransportError(f"{action} failed: {type(exc).__name__}: {exc}") from exc


def joined(group: GroupMember) -> Any:
    """The membership to commit offsets under; one the group has dropped (generation -1, no member id:
    the broker would accept it unfenced) is refused, and the batch is read again once the consumer rejoins."""
    member = group.group_metadata()
    if member.generation_id < 0 or not member.member_id:
        raise TransportError("the consumer is not a member of its group (dropped or left since the batch was "
                             "read): its offsets are not committed")
    return member


class TransactionalPublisher(Publisher):
    """A transactional producer for read-process-write: outputs and offsets commit together."""

    def __init__(self, bootstrap: str, transactional_id: str, *, transaction_timeout_ms: int = 15000,
                 deadline_s: float = TRANSACTION_DEADLINE_S, security: ClientSecurity = PLAINTEXT) -> None:
        # a short metadata backoff: each first send to a new inbox topic waits for one metadata refresh
        super().__init__(bootstrap, transactional_id=transactional_id, max_block_ms=int(deadline_s * 1000),
                         transaction_timeout_ms=transaction_timeout_ms, retry_backoff_ms=10, security=security)
        self._deadline_s = deadline_s
        try:
            with transaction_call(f"initialising transactions for {transactional_id}"):
                self._init_transactions(f"transactional id {transactional_id}")
        except TransportError:
            self.close(0)
            raise

    def _init_transactions(self, resource: str) -> None:
        """`init_transactions()` (waits at most max_block_ms); a refusal by an ACL names the principal."""
        try:
            self._producer.init_transactions()
        except KafkaError as exc:
            refusal = refused(exc, self.security.principal, "use", resource)
            if refusal is not None:
                raise refusal from exc
            raise

    def begin(self) -> None:
        self._failure = None  # a failed send of an earlier transaction failed (and aborted) that one
        with transaction_call("beginning a transaction"):
            self._producer.begin_transaction()

    def commit(self, offsets: Mapping[Partition, int], group: GroupMember) -> None:
        """Commit the transaction, including the consumed `offsets` (next offset to read)."""
        committed = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()}
        manager = self._producer._transaction_manager  # noqa: SLF001 - the library's calls have no deadline
        if committed:
            member = joined(group)
            with transaction_call("adding the consumed offsets to the transaction", broken=(KafkaError,)):
                self._await(manager.send_offsets_to_transaction(committed, member),
                            "adding the consumed offsets to the transaction")
        with transaction_call("committing a transaction"):
            self._await(manager.begin_commit(), "committing a transaction")

    def abort(self) -> None:
        manager = self._producer._transaction_manager  # noqa: SLF001
        with transaction_call("aborting a transaction"):
            self._await(manager.begin_abort(), "aborting a transaction")

    def _await(self, result: Any, action: str) -> None:
        """Wake the sender for the enqueued request, then wait for its result until the deadline."""
        self._producer._sender.wakeup()  # noqa: SLF001
        if not result.wait(timeout_ms=int(self._deadline_s * 1000)):
            raise TransactionBroken(f"{action} did not finish within {self._deadline_s:g} s")
