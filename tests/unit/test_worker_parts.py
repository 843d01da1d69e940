"""The worker's parts that need no broker: transactions sized by time and count, revocation, usage
records (one per event, one entry per delivery) and how librdkafka's errors are judged."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pytest
from confluent_kafka import KafkaError

from exchange.core.decide import Moment
from exchange.core.message import Message
from exchange.core.testing import ExchangeDriver
from exchange.core.topics import Topics
from exchange.emit import records_of
from exchange.errors import TransportError
from exchange.kafka.confluent import transport_error
from exchange.transaction import TransactionWindow
from tests.support import NOW, death_certificate


class RecordingProducer:
    """Records the transaction calls a window makes (no Kafka involved: the window's own logic is tested)."""

    def __init__(self, fail_abort: bool = False) -> None:
        self.calls: list[str] = []
        self.committed: list[dict[tuple[str, int], int]] = []
        self._fail_abort = fail_abort

    def begin(self) -> None:
        self.calls.append("begin")

    def commit(self, offsets: Mapping[tuple[str, int], int], group: Any) -> None:
        self.calls.append("commit")
        self.committed.append(dict(offsets))

    def abort(self) -> None:
        self.calls.append("abort")
        if self._fail_abort:
            raise TransportError("fenced", retriable=False)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def batch(partition: int, *offsets: int) -> list[Message]:
    return [Message("gov.src.x", partition, offset, b"k", b"v", (), 0) for offset in offsets]


def window(producer: RecordingProducer, clock: Clock, events: int = 10, ms: int = 50) -> TransactionWindow:
    return TransactionWindow(producer, events, ms, clock)  # type: ignore[arg-type]


def test_a_transaction_spans_polls_until_its_event_count_is_reached() -> None:
    producer, clock = RecordingProducer(), Clock()
    tx = window(producer, clock, events=5, ms=10_000)
    for first in (0, 2):
        tx.begin_if_closed()
        tx.add(batch(0, first, first + 1), [object(), object()])  # type: ignore[list-item]
        assert not tx.due()
    assert tx.room() == 1
    tx.begin_if_closed()
    tx.add(batch(1, 7), [])
    assert producer.calls == ["begin"]  # one transaction for the three polls
    assert tx.offsets == {("gov.src.x", 0): 4, ("gov.src.x", 1): 8}


def test_a_transaction_is_due_at_its_event_count_or_its_age_whichever_first() -> None:
    producer, clock = RecordingProducer(), Clock()
    tx = window(producer, clock, events=3, ms=50)
    assert tx.wait_ms(200) == 200  # nothing open: the poll may wait its whole idle time
    tx.begin_if_closed()
    tx.add(batch(0, 0), [object()])  # type: ignore[list-item]
    assert not tx.due() and tx.wait_ms(200) == 50
    clock.now += 0.030
    assert not tx.due() and tx.wait_ms(200) == 20
    clock.now += 0.025
    assert tx.due() and tx.wait_ms(200) == 0
    tx.commit(group=None)  # type: ignore[arg-type]
    assert not tx.open and producer.committed == [{("gov.src.x", 0): 1}]
    tx.begin_if_closed()
    tx.add(batch(0, 1, 2, 3), [object()] * 3)  # type: ignore[list-item]
    assert tx.due() and tx.room() == 1


def test_a_revocation_aborts_the_open_transaction_and_flags_the_next_poll() -> None:
    producer, clock = RecordingProducer(), Clock()
    tx = window(producer, clock)
    tx.revoke({("gov.src.x", 0)})
    assert producer.calls == [] and not tx.rebalanced()  # nothing open: nothing to abort
    tx.begin_if_closed()
    tx.add(batch(0, 5), [])
    tx.revoke({("gov.src.x", 0)})
    assert producer.calls == ["begin", "abort"] and not tx.open and tx.offsets == {}
    assert tx.rebalanced() and not tx.rebalanced()  # reported once


def test_a_failed_abort_on_revocation_is_raised_after_the_poll() -> None:
    tx = window(RecordingProducer(fail_abort=True), Clock())
    tx.begin_if_closed()
    tx.revoke({("gov.src.x", 0)})
    with pytest.raises(TransportError, match="fenced"):
        tx.rebalanced()


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
