"""The worker's recovery (exchange/recovery.py) on an in-memory transport: every retry path re-reads
from the committed offsets, a broken producer is rebuilt, a stuck transaction shows in the metrics,
and a worker that cannot recover gives up with the reason instead of hanging."""

from __future__ import annotations

import pytest
from prometheus_client import CollectorRegistry

from exchange.core.message import Message
from exchange.errors import TransactionBroken, TransportError
from exchange.recovery import ReadUnder, Transactions
from exchange.runtime.metrics import Metrics
from exchange.worker import Worker, WorkerConfig
from tests.unit.memory_transport import Cluster, MemorySubscriber, MemoryTransport

SOURCE = "gov.src.people.resident"


def junk(count: int) -> list[Message]:
    """Events that cannot decode: each is dead-lettered, so the DLQ shows which batches committed."""
    return [Message(SOURCE, 0, offset, b"k", b"junk-%d" % offset, (), 1_700_000_000_000) for offset in range(count)]


def steps(worker: Worker, count: int) -> None:
    """Run `count` steps as the worker loop does, swallowing the retriable errors it would wait out."""
    for _ in range(count):
        try:
            worker.step()
        except TransportError as exc:
            assert exc.retriable, exc
            worker.transactions.failed(exc)  # as `Worker._step_or_wait` does, without its 1 s wait


def started(cluster: Cluster) -> tuple[Worker, CollectorRegistry]:
    registry = CollectorRegistry()
    worker = Worker(WorkerConfig("1", max_batch=2, transaction_events=2), Metrics(registry), MemoryTransport(cluster))
    worker.open()
    return worker, registry


def test_a_failed_abort_does_not_skip_the_batch_it_was_aborting() -> None:
    cluster = Cluster(junk(4))
    cluster.failures["commit"].append(TransportError("coordinator moved"))
    cluster.failures["abort"].append(TransportError("coordinator still moving"))
    worker, registry = started(cluster)
    steps(worker, 4)
    assert cluster.records["gov.dlq"] == [b"junk-0", b"junk-1", b"junk-2", b"junk-3"]
    assert cluster.committed == {(SOURCE, 0): 4}
    assert cluster.producers_built == 2  # the producer that failed its abort was replaced
    assert registry.get_sample_value("govx_exchange_recoveries_total", {"action": "rebuild"}) == 1


def test_a_commit_past_its_deadline_rebuilds_the_producer_without_aborting() -> None:
    cluster = Cluster(junk(3))
    cluster.failures["commit"].append(TransactionBroken("committing did not finish within 30 s"))
    cluster.failures["abort"].append(TransportError("an abort on a broken producer must not be tried"))
    worker, registry = started(cluster)
    steps(worker, 3)
    assert cluster.records["gov.dlq"] == [b"junk-0", b"junk-1", b"junk-2"]
    assert cluster.failures["abort"], "the broken producer was asked to abort"
    assert registry.get_sample_value("govx_exchange_recoveries_total", {"action": "rebuild"}) == 1


def test_a_rebuild_that_fails_is_tried_again_before_the_next_poll() -> None:
    cluster = Cluster(junk(2))
    cluster.failures["commit"].append(TransactionBroken("fenced"))
    worker, _ = started(cluster)
    cluster.failures["init"].append(TransportError("no coordinator yet"))
    steps(worker, 4)
    assert cluster.records["gov.dlq"] == [b"junk-0", b"junk-1"]
    assert cluster.producers_built == 2


def test_a_failure_after_polling_but_before_the_transaction_re_reads_the_batch() -> None:
    """Creating an inbox on demand fails after the poll: the batch must be read again, not skipped."""
    cluster = Cluster(junk(4))
    transactions = Transactions(MemoryTransport(cluster), "t", Metrics(CollectorRegistry()))
    transactions.open()
    subscriber = MemorySubscriber(cluster)
    assert [m.offset for m in subscriber.poll(100, 2)] == [0, 1]
    transactions.polled()
    transactions.failed(TransportError("creating the inbox failed"))  # ... the inbox creation raised here
    transactions.settle(subscriber)
    assert [m.offset for m in subscriber.poll(100, 2)] == [0, 1]


def test_an_open_transaction_shows_its_age_in_the_metrics() -> None:
    now = [100.0]
    registry = CollectorRegistry()
    cluster = Cluster(junk(1))
    transactions = Transactions(MemoryTransport(cluster), "t", Metrics(registry), clock=lambda: now[0])
    transactions.open()
    ages: list[float | None] = []

    def emit_slowly(_: object) -> None:
        now[0] += 42.0

    subscriber = MemorySubscriber(cluster)
    transactions.polled()
    transactions.add(emit_slowly, subscriber.poll(100, 1), [], subscriber)
    now[0] += 3.0
    ages.append(registry.get_sample_value("govx_exchange_transaction_open_seconds"))
    transactions.commit()
    assert ages == [45.0]  # open since its begin, which came before the slow sends
    assert registry.get_sample_value("govx_exchange_transaction_open_seconds") == 0.0
    assert cluster.committed == {(SOURCE, 0): 1}


def test_a_worker_that_cannot_recover_gives_up_with_the_reason() -> None:
    now = [0.0]
    transactions = Transactions(MemoryTransport(Cluster(junk(1))), "t", Metrics(CollectorRegistry()),
                                give_up_s=60, clock=lambda: now[0])
    failure = TransportError("NodeNotReadyError: broker 2")
    for now[0] in (0.0, 30.0, 60.0):
        transactions.failed(failure)
    transactions.succeeded()  # a completed step starts the count again
    for now[0] in (100.0, 150.0):
        transactions.failed(failure)
    now[0] = 161.0
    with pytest.raises(TransportError, match="could not recover within 60 s; last error: NodeNotReadyError") as gave:
        transactions.failed(failure)
    assert not gave.value.retriable


def test_a_worker_whose_commits_keep_failing_gives_up_though_its_polls_succeed() -> None:
    """Between failed commits the worker's steps that only poll and add to the transaction completed, and each
    started the count again: a worker whose every commit failed retried for ever, alive and stuck."""
    now = [0.0]
    cluster = Cluster(junk(100))
    transactions = Transactions(MemoryTransport(cluster), "t", Metrics(CollectorRegistry()),
                                give_up_s=60, clock=lambda: now[0])
    transactions.open()
    subscriber = MemorySubscriber(cluster)
    failure = TransportError("adding the consumed offsets to the transaction failed: NOT_COORDINATOR")
    with pytest.raises(TransportError, match="could not recover within 60 s") as gave:
        for now[0] in range(0, 200, 10):  # a step that polls and adds (completes), then one whose commit fails
            transactions.settle(subscriber)
            transactions.polled()
            transactions.add(lambda _: None, subscriber.poll(100, 1), [], subscriber)
            transactions.succeeded()
            transactions.failed(failure)
    assert not gave.value.retriable and now[0] == 70


def test_a_fatal_error_is_raised_at_once() -> None:
    transactions = Transactions(MemoryTransport(Cluster(junk(1))), "t", Metrics(CollectorRegistry()))
    with pytest.raises(TransportError, match="not authorised"):
        transactions.failed(TransportError("not authorised", retriable=False))


def test_a_batch_commits_under_the_generation_it_was_read_under() -> None:
    """A rebalance between poll and commit must fence the commit (KIP-447), not pass with the new generation."""
    cluster = Cluster(junk(1))
    subscriber = MemorySubscriber(cluster)
    generation = ["generation-1"]
    subscriber.group_metadata = lambda: generation[0]  # type: ignore[method-assign]
    member = ReadUnder(subscriber)
    generation[0] = "generation-2"  # the group rebalanced in the background
    assert member.group_metadata() == "generation-1"


def test_a_transaction_spanning_polls_commits_under_its_first_batchs_generation() -> None:
    cluster = Cluster(junk(4))
    registry = CollectorRegistry()
    worker = Worker(WorkerConfig("1", max_batch=2, transaction_events=4), Metrics(registry), MemoryTransport(cluster))
    worker.open()
    [subscriber] = cluster.subscribers
    generations = iter(["generation-1", "generation-2"])
    subscriber.group_metadata = lambda: next(generations)  # type: ignore[method-assign]
    steps(worker, 2)
    assert cluster.commits == ["generation-1"] and cluster.committed == {(SOURCE, 0): 4}


def test_a_rebalance_during_an_open_transaction_aborts_it_and_re_reads_everything_once() -> None:
    cluster = Cluster(junk(6))
    registry = CollectorRegistry()
    worker = Worker(WorkerConfig("1", max_batch=2, transaction_events=6), Metrics(registry), MemoryTransport(cluster))
    worker.open()
    [subscriber] = cluster.subscribers
    steps(worker, 2)  # junk-0..3 sent in the open transaction, nothing committed yet
    assert cluster.committed == {} and worker.transactions.window.open
    subscriber.rebalancing = True  # the next poll revokes the partition and resumes from the commits
    steps(worker, 5)
    assert cluster.records["gov.dlq"] == [b"junk-%d" % n for n in range(6)]  # each once, in order
    assert cluster.committed == {(SOURCE, 0): 6}
    assert registry.get_sample_value("govx_transactions_total", {"result": "aborted"}) == 1
    assert registry.get_sample_value("govx_exchange_recoveries_total", {"action": "rebalance"}) == 1


def test_a_rebalance_with_nothing_in_hand_aborts_nothing() -> None:
    cluster = Cluster(junk(2))
    registry = CollectorRegistry()
    worker = Worker(WorkerConfig("1", max_batch=2, transaction_events=2), Metrics(registry), MemoryTransport(cluster))
    worker.open()
    cluster.subscribers[0].rebalancing = True
    steps(worker, 2)
    assert cluster.records["gov.dlq"] == [b"junk-0", b"junk-1"]
    assert registry.get_sample_value("govx_transactions_total", {"result": "aborted"}) is None


def test_a_worker_stopping_after_a_failed_send_aborts_instead_of_committing_half_a_batch() -> None:
    """The stop comes between a failed step and the next: the transaction in hand holds part of the
    failed batch's outputs but not its offsets, so committing it would deliver those twice."""
    cluster = Cluster(junk(4))
    worker = Worker(WorkerConfig("1", max_batch=2, transaction_events=4, commit_when_drained=False),
                    Metrics(CollectorRegistry()), MemoryTransport(cluster))
    worker.open()
    steps(worker, 1)
    cluster.failures["send"].append(TransportError("broker went away"))
    steps(worker, 1)
    worker.finish()
    assert cluster.records["gov.dlq"] == []
    assert cluster.committed == {}
