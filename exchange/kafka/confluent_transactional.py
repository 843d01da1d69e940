"""confluent-kafka's transactional producer, honouring the recovery contract of `TransactionalProducer`.

Every transaction call has a deadline. librdkafka's verdict decides what the worker does next:
an error that only requires the transaction to be aborted is retriable (abort, re-read, retry); a
fatal error (the producer fenced), or a commit or abort that did not finish within its deadline,
raises `TransactionBroken` — the producer is finished, and a new one with the same transactional id
resolves whatever the old one left open (`exchange/recovery.py`). A refusal by an ACL is raised as
`AuthorizationError`, which is never retried.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.confluent import Partition, RdPublisher, refusal, transport_error

# a transaction's records wait up to this long to share a produce request: commit flushes at once whatever
# linger says, so a long linger costs no latency and saves many small requests to many partitions
TRANSACTION_LINGER_MS = 100
# as for kafka-python (exchange/kafka/transactional.py): a call still waiting after 10 s waits for a gone coordinator
TRANSACTION_DEADLINE_S = 10.0
# a transaction begun right after a commit is refused (CONCURRENT_TRANSACTIONS) until the broker has
# written the last one's markers, a few ms; librdkafka retries after `retry.backoff.ms`, whose default
# of 100 ms then made every back-to-back transaction ~100 ms long (docs/benchmarks.md §5)
TRANSACTION_RETRY_BACKOFF_MS = 5
TIMED_OUT = {KafkaError._TIMED_OUT, KafkaError._TIMED_OUT_QUEUE, KafkaError.REQUEST_TIMED_OUT}


def transaction_failure(action: str, error: KafkaError, security: ClientSecurity, resource: str,
                        deadline_s: float) -> TransportError:
    """A transaction call's failure: refused (fatal), broken (rebuild) or abortable/transient (abort, retry)."""
    refused = refusal(error, security, "use", resource)
    if refused is not None:
        return refused
    if error.code() in TIMED_OUT:
        return TransactionBroken(f"{action} did not finish within {deadline_s:g} s: {error.name()}: {error.str()}")
    if error.fatal():
        return TransactionBroken(f"{action} failed: {error.name()}: {error.str()}")
    return transport_error(action, error)


class RdTransactionalPublisher(RdPublisher):
    """A transactional producer for read-process-write: outputs and offsets commit together."""

    def __init__(self, bootstrap: str, transactional_id: str, *, transaction_timeout_ms: int = 15000,
                 deadline_s: float = TRANSACTION_DEADLINE_S, security: ClientSecurity = PLAINTEXT) -> None:
        super().__init__(bootstrap, linger_ms=TRANSACTION_LINGER_MS, security=security,
                         extra={"transactional.id": transactional_id, "transaction.timeout.ms": transaction_timeout_ms,
                                "retry.backoff.ms": TRANSACTION_RETRY_BACKOFF_MS})
        self._deadline_s, self._resource = deadline_s, f"transactional id {transactional_id}"
        with self._call(f"initialising transactions for {transactional_id}"):
            self._producer.init_transactions(deadline_s)

    @contextmanager
    def _call(self, action: str) -> Iterator[None]:
        try:
            yield
        except KafkaException as exc:
            raise transaction_failure(action, exc.args[0], self.security, self._resource, self._deadline_s) from exc

    def begin(self) -> None:
        self._failures.clear()  # a failed record of an earlier transaction failed (and aborted) that one
        with self._call("beginning a transaction"):
            self._producer.begin_transaction()

    def commit(self, offsets: Mapping[Partition, int], group: Any) -> None:
        """Commit the transaction, including the consumed `offsets` (next offset to read)."""
        committed = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        if committed:
            with self._call("adding the consumed offsets to the transaction"):
                self._producer.send_offsets_to_transaction(committed, group.group_metadata(), self._deadline_s)
        with self._call("committing a transaction"):
            self._producer.commit_transaction(self._deadline_s)

    def abort(self) -> None:
        self._failures.clear()
        with self._call("aborting a transaction"):
            self._producer.abort_transaction(self._deadline_s)

    def close(self, timeout_s: float = 10.0) -> None:
        """Close: whatever the open transaction holds is aborted by the broker (or the next producer).

        Only flushed: confluent-kafka's `close()` first tries to abort the open transaction, which on a
        broken producer (a commit past its deadline still in progress) fails with a warning raised from
        inside the C call; the client is destroyed when the last reference goes."""
        self._producer.flush(timeout_s)
