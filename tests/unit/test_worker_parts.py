"""The worker's parts that need no broker: transactions sized by time and count, usage
records (one per event, one entry per delivery) and how librdkafka's errors are judged."""

from __future__ import annotations

import json

import pytest
from confluent_kafka import KafkaError

from exchange.core.decide import Moment
from exchange.core.message import Message
from exchange.core.testing import ExchangeDriver
from exchange.core.topics import Topics
from exchange.emit import records_of
from exchange.errors import AuthorizationError
from exchange.kafka.confluent import transport_error
from exchange.kafka.confluent_subscriber import commit_failure
from exchange.transaction import TransactionWindow
from tests.support import NOW, death_certificate


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def batch(partition: int, *offsets: int) -> list[Message]:
    return [Message("gov.src.x", partition, offset, b"k", b"v", (), 0) for offset in offsets]


def window(clock: Clock, events: int = 10, ms: int = 50) -> TransactionWindow:
    return TransactionWindow(events, ms, clock)


EVENT = object()


def test_a_transaction_spans_polls_until_its_event_count_is_reached() -> None:
    clock = Clock()
    tx = window(clock, events=5, ms=10_000)
    for first in (0, 2):
        tx.opened()
        tx.add(batch(0, first, first + 1), [EVENT, EVENT])  # type: ignore[list-item]
        assert not tx.due()
    assert tx.room() == 1
    clock.now += 1.0
    tx.opened()  # already open: its start stays
    tx.add(batch(1, 7), [])
    assert tx.age_s() == 1.0
    assert tx.offsets == {("gov.src.x", 0): 4, ("gov.src.x", 1): 8}


def test_a_transaction_is_due_at_its_event_count_or_its_age_whichever_first() -> None:
    clock = Clock()
    tx = window(clock, events=3, ms=50)
    assert tx.wait_ms(200) == 200  # nothing open: the poll may wait its whole idle time
    tx.opened()
    tx.add(batch(0, 0), [EVENT])  # type: ignore[list-item]
    assert not tx.due() and tx.wait_ms(200) == 50 and tx.wait_ms(10) == 10
    clock.now += 0.030
    assert not tx.due() and tx.wait_ms(200) == 20
    clock.now += 0.025
    assert tx.due() and tx.wait_ms(200) == 0
    held, age = tx.reset()
    assert held == [EVENT] and age == pytest.approx(0.055)
    assert not tx.open and tx.offsets == {} and tx.age_s() == 0.0
    tx.opened()
    tx.add(batch(0, 1, 2, 3), [EVENT] * 3)  # type: ignore[list-item]
    assert tx.due() and tx.room() == 1


def test_a_short_poll_makes_an_open_transaction_due_and_a_closed_one_not() -> None:
    tx = window(Clock())
    assert not tx.due(drained=True)  # nothing open: nothing to commit
    tx.opened()
    assert tx.due(drained=True) and not tx.due(drained=False)


def test_an_event_writes_one_usage_record_with_one_entry_per_delivery() -> None:
    driver = ExchangeDriver(at=NOW)
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("440106")))
    assert len(outcome.deliveries) >= 2
    topics = Topics("gov")
    records = list(records_of([outcome], topics, Moment.of(NOW)))
    audit = [r for r in records if r[0] == topics.audit]
    assert len(audit) == 1 and len(records) == len(outcome.deliveries) + 1
    usage = json.loads(audit[0][1] or b"")
    assert outcome.envelope is not None and usage["event_id"] == outcome.envelope.id
    assert [u["grant"] for u in usage["usages"]] == [d.route.grant for d in outcome.deliveries]
    assert {u["delivery"] for u in usage["usages"]} <= {"full", "projected", "masked"}


def test_a_dead_letter_writes_no_usage_record() -> None:
    driver = ExchangeDriver(at=NOW)
    message = driver.event("death_certificate", death_certificate("440106")).as_message(offset=0)
    outcome = driver.pipe(message._replace(value=b"\x00garbage"))
    topics = Topics("gov")
    records = list(records_of([outcome], topics, Moment.of(NOW)))
    assert outcome.dead_letter is not None
    assert [r[0] for r in records] == [topics.dlq]


@pytest.mark.parametrize(("error", "retriable"), [
    (KafkaError(KafkaError._TIMED_OUT, "timed out", retriable=True), True),
    (KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION, "leader moved"), True),
    (KafkaError(KafkaError.INVALID_TXN_STATE, "abort first", txn_requires_abort=True), True),
    (KafkaError(KafkaError._FENCED, "fenced", fatal=True), False),
    (KafkaError(KafkaError.NOT_LEADER_FOR_PARTITION, "fatal anyway", fatal=True), False),
    (KafkaError(KafkaError.TOPIC_AUTHORIZATION_FAILED, "not allowed"), False),
])
def test_librdkafka_errors_become_transport_errors_retriable_unless_fatal(error: KafkaError, retriable: bool) -> None:
    translated = transport_error("committing", error)
    assert translated.retriable is retriable
    assert str(translated).startswith("committing failed: ")


@pytest.mark.parametrize(("code", "retriable"), [
    (KafkaError._ASSIGNMENT_LOST, True),  # the session lapsed while the group coordinator moved
    (KafkaError.ILLEGAL_GENERATION, True),
    (KafkaError.UNKNOWN_MEMBER_ID, True),
    (KafkaError.REBALANCE_IN_PROGRESS, True),
    (KafkaError.INVALID_COMMIT_OFFSET_SIZE, False),
])
def test_a_receiver_commit_the_group_moved_on_from_is_retried_not_fatal(code: int, retriable: bool) -> None:
    """A receiver whose session lapsed while a killed node's group coordinator moved died of `_ASSIGNMENT_LOST`
    (librdkafka does not flag it retriable); its partitions are re-read from the last commit, as on kafka-python."""
    failure = commit_failure(KafkaError(code, "refused"))
    assert failure is not None and failure.retriable is retriable
    assert str(failure).startswith("committing offsets failed")


def test_a_receiver_commit_with_nothing_new_is_no_failure_and_a_refusal_is_final() -> None:
    assert commit_failure(KafkaError(KafkaError._NO_OFFSET, "nothing to commit")) is None
    refused = commit_failure(KafkaError(KafkaError.GROUP_AUTHORIZATION_FAILED, "not allowed"))
    assert isinstance(refused, AuthorizationError) and not refused.retriable
