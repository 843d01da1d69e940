"""The confluent transactional producer keeps its deadlines even where librdkafka does not
(confluentinc/librdkafka#5456, #5511): a transaction call that hangs past its own timeout breaks the
producer in time, so the worker rebuilds it instead of waiting for ever. A call librdkafka gives up on
with a retriable error (its own few retries spent) is called again within the deadline, instead of
failing the transaction. The client is passed in: these stand-ins behave as librdkafka does in those
reports, no broker is involved."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from exchange.errors import TransactionBroken, TransportError
from exchange.kafka.confluent_transactional import RdTransactionalPublisher


class Librdkafka:
    """A transactional producer whose calls return at once, recording the timeouts they were given."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.config, self.timeouts = config, list[float]()
        self.released = threading.Event()

    def init_transactions(self, timeout: float) -> None:
        self.timeouts.append(timeout)

    def begin_transaction(self) -> None:
        pass

    def send_offsets_to_transaction(self, offsets: list[Any], metadata: object, timeout: float) -> None:
        self.timeouts.append(timeout)

    def commit_transaction(self, timeout: float) -> None:
        self.timeouts.append(timeout)


class HangsSendingOffsets(Librdkafka):
    """#5456: `send_offsets_to_transaction` ignores its timeout while the group coordinator is gone."""

    def send_offsets_to_transaction(self, offsets: list[Any], metadata: object, timeout: float) -> None:
        self.released.wait(120)


class FencedAtCommit(Librdkafka):
    def commit_transaction(self, timeout: float) -> None:
        raise KafkaException(KafkaError(KafkaError._FENCED, "fenced by a newer instance", fatal=True))


class BusyCoordinator(Librdkafka):
    """The coordinator still writes the last transaction's markers: librdkafka retries AddOffsetsToTxn a few
    times, then returns CONCURRENT_TRANSACTIONS as a retriable error (rdkafka_txnmgr.c); `busy` times here."""

    busy = 2

    def send_offsets_to_transaction(self, offsets: list[Any], metadata: object, timeout: float) -> None:
        self.timeouts.append(timeout)
        if len(self.timeouts) <= self.busy + 1:  # the first timeout recorded is init_transactions'
            raise KafkaException(KafkaError(KafkaError.CONCURRENT_TRANSACTIONS, "markers still being written",
                                            retriable=True))


class AlwaysBusy(BusyCoordinator):
    busy = 1_000_000


class Group:
    def group_metadata(self) -> object:
        return "generation 7"


def publisher(kind: type[Librdkafka]) -> tuple[RdTransactionalPublisher, Librdkafka]:
    built: list[Librdkafka] = []

    def client(config: dict[str, Any]) -> Librdkafka:
        built.append(kind(config))
        return built[-1]

    made = RdTransactionalPublisher("127.0.0.1:9", "gov-exchange-0", deadline_s=0.2, hung_after_s=0.3, client=client)
    return made, built[0]


def test_every_transaction_call_is_given_its_deadline() -> None:
    made, client = publisher(Librdkafka)
    made.begin()
    made.commit({("gov.src.people.resident", 0): 5}, Group())
    assert client.timeouts == [0.2, 0.2, 0.2] and client.config["transactional.id"] == "gov-exchange-0"


def test_a_call_librdkafka_leaves_hanging_past_its_timeout_breaks_the_producer() -> None:
    made, client = publisher(HangsSendingOffsets)
    made.begin()
    try:
        with pytest.raises(TransactionBroken, match="adding the consumed offsets .* did not return within 0.5 s"):
            made.commit({("gov.src.people.resident", 0): 5}, Group())
    finally:
        client.released.set()


def test_an_error_inside_the_call_thread_is_judged_as_ever() -> None:
    made, _ = publisher(FencedAtCommit)
    made.begin()
    with pytest.raises(TransactionBroken, match="committing a transaction failed: _FENCED"):
        made.commit({}, Group())


def test_a_call_librdkafka_returns_as_retriable_is_called_again_and_the_transaction_commits() -> None:
    made, client = publisher(BusyCoordinator)
    made.begin()
    made.commit({("gov.src.people.resident", 0): 5}, Group())
    offsets_calls = client.timeouts[1:-1]  # after init_transactions, before commit_transaction
    assert len(offsets_calls) == 3 and all(0 < t <= 0.2 for t in offsets_calls)


def test_a_call_still_refused_at_its_deadline_fails_the_transaction_as_retriable() -> None:
    made, client = publisher(AlwaysBusy)
    made.begin()
    with pytest.raises(TransportError, match="CONCURRENT_TRANSACTIONS") as failed:
        made.commit({("gov.src.people.resident", 0): 5}, Group())
    assert failed.value.retriable and not isinstance(failed.value, TransactionBroken)
    assert 3 <= len(client.timeouts) - 1 < 100  # retried, with a backoff, until the deadline of 0.2 s
