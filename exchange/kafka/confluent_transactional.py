"""confluent-kafka's transactional producer, honouring the recovery contract of `TransactionalProducer`.

Every transaction call has a deadline, which govx enforces too: librdkafka can block past its own
timeout (confluentinc/librdkafka#5456 and #5511: `send_offsets_to_transaction` when the node of the
group coordinator dies), so each call runs in a thread of its own, waited for its deadline and a
grace; one that has not returned by then breaks the producer, which is abandoned to its thread.
librdkafka's verdict decides what the worker does next:
an error that only requires the transaction to be aborted is retriable (abort, re-read, retry); a
fatal error (the producer fenced), or a commit or abort that did not finish within its deadline,
raises `TransactionBroken` — the producer is finished, and a new one with the same transactional id
resolves whatever the old one left open (`exchange/recovery.py`). A refusal by an ACL is raised as
`AuthorizationError`, which is never retried.
"""

from __future__ import annotations

import functools
import itertools
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from confluent_kafka import KafkaError, KafkaException, TopicPartition
from confluent_kafka import Producer as RdProducer

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import AuthorizationError, TransactionBroken, TransportError
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
# how much longer than a transaction call's own timeout govx waits before it counts the call as hung
HUNG_AFTER_S = 5.0
TIMED_OUT = {KafkaError._TIMED_OUT, KafkaError._TIMED_OUT_QUEUE, KafkaError.REQUEST_TIMED_OUT}


def backoffs_s() -> Iterator[float]:
    """The waits between calls librdkafka returned as retriable: 10 ms doubling to 160 ms, then 160 ms."""
    return itertools.chain((0.01, 0.02, 0.04, 0.08), itertools.repeat(0.16))


def worth_again(error: KafkaError) -> bool:
    """Whether a transaction call's failure asks for the same call again: retriable, the transaction still good."""
    return error.retriable() and not (error.fatal() or error.txn_requires_abort() or error.code() in TIMED_OUT)


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


# a record's delivery failures that leave the producer unusable: a newer epoch fenced it, or its sequence broke
FENCED_RECORD = {KafkaError.INVALID_PRODUCER_EPOCH, KafkaError._FENCED, KafkaError.OUT_OF_ORDER_SEQUENCE_NUMBER,
                 KafkaError.INVALID_PRODUCER_ID_MAPPING, KafkaError.PRODUCER_FENCED}


def gone_fatal(action: str, exc: SystemError) -> TransactionBroken:
    """confluent-kafka (2.16) raises a fatal error (fenced, a sequence out of order) and then goes on serving
    delivery reports with that exception set, which Python reports as a `SystemError` from the C call."""
    return TransactionBroken(f"{action} failed: the producer is in a fatal state ({exc})")


def bounded(call: Callable[[], object], timeout_s: float, action: str) -> None:
    """`call()` in a daemon thread (librdkafka releases the GIL), its outcome raised here; `TransactionBroken`
    if it has not returned within `timeout_s` — the thread (and the client it holds) lives on until it does."""
    outcome: list[BaseException | None] = []
    done = threading.Event()

    def run() -> None:
        try:
            call()
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - re-raised by the caller's thread
            outcome.append(exc)
        finally:
            done.set()

    threading.Thread(target=run, name=f"govx {action}", daemon=True).start()
    if not done.wait(timeout_s):
        raise TransactionBroken(f"{action} did not return within {timeout_s:g} s (librdkafka past its own timeout)")
    if outcome[0] is not None:
        raise outcome[0]


class RdTransactionalPublisher(RdPublisher):
    """A transactional producer for read-process-write: outputs and offsets commit together."""

    def __init__(self, bootstrap: str, transactional_id: str, *, transaction_timeout_ms: int = 15000,
                 deadline_s: float = TRANSACTION_DEADLINE_S, hung_after_s: float = HUNG_AFTER_S,
                 security: ClientSecurity = PLAINTEXT, client: Callable[[dict[str, Any]], Any] = RdProducer) -> None:
        super().__init__(bootstrap, linger_ms=TRANSACTION_LINGER_MS, security=security, client=client,
                         extra={"transactional.id": transactional_id, "transaction.timeout.ms": transaction_timeout_ms,
                                "retry.backoff.ms": TRANSACTION_RETRY_BACKOFF_MS})
        self._deadline_s, self._resource = deadline_s, f"transactional id {transactional_id}"
        self._hung_after_s = deadline_s + hung_after_s
        self._bounded(f"initialising transactions for {transactional_id}", self._producer.init_transactions)

    def _bounded(self, action: str, call: Callable[..., object], *args: object) -> None:
        """A transaction call given its deadline, and failing as `_call` says — also when it hangs past it.

        A call librdkafka returns as retriable (its own few retries spent: CONCURRENT_TRANSACTIONS while the
        last transaction's markers are written, a coordinator loading) is made again, with a backoff, until
        the deadline: the transaction in hand stays good, so failing it would abort and re-read it for nothing."""
        deadline, timeout_s = time.monotonic() + self._deadline_s, self._deadline_s
        with self._call(action):
            for backoff_s in backoffs_s():
                try:
                    bounded(functools.partial(call, *args, timeout_s), self._hung_after_s, action)
                    return
                except KafkaException as exc:
                    if not worth_again(exc.args[0]) or deadline - time.monotonic() <= backoff_s:
                        raise
                time.sleep(backoff_s)
                timeout_s = deadline - time.monotonic()

    @contextmanager
    def _call(self, action: str) -> Iterator[None]:
        try:
            yield
        except KafkaException as exc:
            raise transaction_failure(action, exc.args[0], self.security, self._resource, self._deadline_s) from exc
        except SystemError as exc:
            raise gone_fatal(action, exc) from exc

    @contextmanager
    def _producing(self, action: str, resource: str | None = None) -> Iterator[None]:
        """As any producer's, except that a fatal error (or `gone_fatal`'s) breaks the producer: it is rebuilt."""
        try:
            with self._call(action), super()._producing(action, resource):
                yield
        except TransportError as exc:
            cause = exc.__cause__
            if isinstance(cause, KafkaException) and cause.args[0].fatal() and not isinstance(exc, AuthorizationError):
                raise TransactionBroken(str(exc)) from cause
            raise

    def _raise_failure(self) -> None:
        """A record refused because a newer producer fenced this one, or out of sequence, breaks the producer."""
        fenced = [(topic, error) for topic, error in self._failures if error.code() in FENCED_RECORD]
        if fenced:
            (topic, error), self._failures = fenced[0], []
            raise TransactionBroken(f"producing to {topic} failed: {error.name()}: {error.str()}")
        super()._raise_failure()

    def begin(self) -> None:
        self._failures.clear()  # a failed record of an earlier transaction failed (and aborted) that one
        with self._call("beginning a transaction"):
            self._producer.begin_transaction()

    def commit(self, offsets: Mapping[Partition, int], group: Any) -> None:
        """Commit the transaction, including the consumed `offsets` (next offset to read)."""
        committed = [TopicPartition(t, p, o) for (t, p), o in offsets.items()]
        if committed:
            self._bounded("adding the consumed offsets to the transaction", self._producer.send_offsets_to_transaction,
                          committed, group.group_metadata())
        self._bounded("committing a transaction", self._producer.commit_transaction)

    def abort(self) -> None:
        self._failures.clear()
        self._bounded("aborting a transaction", self._producer.abort_transaction)

    def close(self, timeout_s: float = 10.0) -> None:
        """Close: whatever the open transaction holds is aborted by the broker (or the next producer).

        Only flushed: confluent-kafka's `close()` first tries to abort the open transaction, which on a
        broken producer (a commit past its deadline still in progress) fails with a warning raised from
        inside the C call; the client is destroyed when the last reference goes."""
        with self._call("closing the producer"):
            self._producer.flush(timeout_s)
