"""The confluent transactional producer keeps its deadlines even where librdkafka does not
(confluentinc/librdkafka#5456, #5511): a transaction call that hangs past its own timeout breaks the
producer in time, so the worker rebuilds it instead of waiting for ever. The client is passed in:
these stand-ins behave as librdkafka does in those reports, no broker is involved."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from confluent_kafka import KafkaError, KafkaException

from exchange.errors import TransactionBroken
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
