"""Bad events of every kind land in the dead-letter topic once, with the right reason, on the real broker."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.topics import Topics
from exchange.kafka.client import Publisher
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from producers.faults import EXPECTED_REASON, Fault
from producers.publish import EventFactory
from producers.world import World
from tests.integration.kafka_helpers import read_until, running_worker

pytestmark = pytest.mark.integration


def test_every_kind_of_bad_event_is_dead_lettered_with_its_reason(bootstrap: str, topics: Topics,
                                                                   catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=2)
    world = World("440106", catalogue, seed=9, clock_origin=datetime.now(UTC), pool_size=60)
    publisher = Publisher(bootstrap)
    sent: dict[str, Fault | None] = {}
    for index, fault in enumerate([*Fault, None, None]):
        factory = EventFactory(catalogue, topics, random.Random(index),
                               bad_share=1.0 if fault else 0.0, faults=[fault] if fault else list(Fault))
        for draft in world.chain_of("death", 0.0)[:1] + world.chain_of("enterprise", 0.0)[:1]:
            event = factory.publication(draft, "440106", datetime.now(UTC)).event
            publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
            sent[event.envelope.id] = fault
    publisher.flush()
    publisher.close()
    bad = sum(1 for fault in sent.values() if fault)
    with running_worker(bootstrap, topics):
        letters = read_until(bootstrap, topics.dlq, lambda got: len(got) >= bad, settle_s=1.0)
    assert len(letters) == bad
    reasons: Counter[str] = Counter()
    for letter in letters:
        headers = dict(letter.headers)
        fault = Fault(headers["govx_fault"].decode())
        assert headers["govx_error"].decode() == EXPECTED_REASON[fault], fault
        assert headers["govx_error_detail"]
        assert headers["govx_source"].startswith(topics.source("").encode())
        reasons[headers["govx_error"].decode()] += 1
    assert set(reasons) == set(EXPECTED_REASON.values())


def test_dead_letters_keep_the_original_bytes_untouched(bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    world = World("441802", catalogue, seed=4, clock_origin=datetime.now(UTC), pool_size=40)
    factory = EventFactory(catalogue, topics, random.Random(1), bad_share=1.0, faults=[Fault.BAD_CHECKSUM])
    event = factory.publication(world.chain_of("death", 0.0)[0], "441802", datetime.now(UTC)).event
    publisher = Publisher(bootstrap)
    publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
    publisher.flush()
    publisher.close()
    with running_worker(bootstrap, topics):
        (letter,) = read_until(bootstrap, topics.dlq, lambda got: len(got) >= 1, settle_s=1.0)
    assert letter.value == event.value and letter.key == event.key
    assert letter.headers[: len(event.headers)] == event.headers


def test_a_malformed_directory_event_is_dead_lettered_by_the_directory_guard(bootstrap: str, topics: Topics,
                                                                              catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    publisher = Publisher(bootstrap)
    publisher.send(topics.directory, b'{"kind": "grant", "entity": {"id": "broken"}}', key=b"grant/broken")
    publisher.flush()
    publisher.close()
    with running_worker(bootstrap, topics, worker_id="0"):
        (letter,) = read_until(bootstrap, topics.dlq, lambda got: len(got) >= 1, settle_s=1.0)
    headers = dict(letter.headers)
    assert headers["govx_error"] == b"directory.invalid"
    assert b"not a directory event" in headers["govx_error_detail"] or b"incomplete" in headers["govx_error_detail"]
