"""The drain's end offsets (`exchange.kafka.admin.settled_end_offsets`) on a real broker: while a transaction is
open on a partition — a frozen worker's, until the broker aborts it — what follows its start is hidden
from read_committed receivers, so the end is "not known yet" rather than an LSO they can reach early."""

from __future__ import annotations

import time

import pytest

from exchange.core.topics import Topics, TopicSpec
from exchange.errors import TransportError
from exchange.kafka.admin import Admin, end_offsets, settled_end_offsets
from exchange.kafka.client import Publisher
from exchange.kafka.transactional import TransactionalPublisher

pytestmark = pytest.mark.integration


def test_end_offsets_are_not_known_while_a_transaction_is_open(bootstrap: str, topics: Topics) -> None:
    topic = f"{topics.namespace}.backlog"
    admin = Admin(bootstrap)
    admin.ensure_topics([TopicSpec(topic, 1)])
    admin.close()
    plain = Publisher(bootstrap)
    plain.send(topic, b"before")
    plain.close()
    zombie = TransactionalPublisher(bootstrap, f"{topics.namespace}-backlog")
    try:
        zombie.begin()
        zombie.send(topic, b"in an open transaction")
        zombie.flush()
        with pytest.raises(TransportError, match="transaction is still open on 1 partition") as hidden:
            settled_end_offsets(bootstrap, [topic])
        assert hidden.value.retriable
        assert end_offsets(bootstrap, [topic]) == {(topic, 0): 1}  # the LSO: the open transaction's start
        zombie.abort()
    finally:
        zombie.close()
    assert settled_end(bootstrap, topic) == {(topic, 0): 3}  # the record, the aborted one, its marker


def settled_end(bootstrap: str, topic: str, timeout_s: float = 30.0) -> dict[tuple[str, int], int]:
    """`settled_end_offsets` once the abort marker is written (just after `abort()` returns)."""
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            return settled_end_offsets(bootstrap, [topic])
        except TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)  # polling a condition with a deadline
