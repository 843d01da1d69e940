"""The whole province on the real broker: a county of every one of the 21 cities (罗湖 440303, 禅城
440604, 香洲 440402 among them) publishes, and the exchange delivers to that county's and city's 公安.

Before the full division table, 440303 was dead-lettered as "not a division of the province".
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from exchange.core import regions
from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.directory import Node
from exchange.core.events import build_event
from exchange.core.message import Message
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Reader
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from tests.integration.kafka_helpers import read_until, running_worker
from tests.support import NOW, citizen_id, death_certificate

pytestmark = pytest.mark.integration
NAMED = ("440303", "440604", "440402")  # 深圳罗湖区, 佛山禅城区, 珠海香洲区


def _one_division_per_city() -> list[str]:
    """The named counties, the first county of every other city, and the two-level cities themselves."""
    picked = list(NAMED)
    for city in regions.cities():
        if not any(regions.city_of(code) == city.code for code in picked):
            counties = regions.children(city.code)
            picked.append(counties[0].code if counties else city.code)
    return picked


def test_a_division_of_every_city_is_accepted_and_delivered(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    divisions = _one_division_per_city()
    assert len({regions.city_of(code) for code in divisions}) == 21
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    police = {code: Node(code, "gongan") for code in divisions}
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes(police.values()))
    admin.close()
    resource = catalogue.resources["death_certificate"]
    schema = SchemaRegistry().register(resource.definition)
    rng = random.Random(3)
    events = {code: build_event(resource, schema, death_certificate(code, person=citizen_id(code, 7)),
                                division=code, department="weijian", at=NOW, rng=rng, topics=topics)
              for code in divisions}
    with running_worker(bootstrap, topics):
        publisher = Publisher(bootstrap)
        for event in events.values():
            publisher.send(event.topic, event.value, key=event.key, headers=event.headers,
                           timestamp_ms=event.timestamp_ms)
        publisher.flush()
        publisher.close()
        for code, node in police.items():
            expected = events[code].envelope.id
            got = read_until(bootstrap, topics.inbox(node), _holds(expected), timeout_s=60)
            assert {dict(m.headers)["ce_id"].decode() for m in got} == {expected}, code
    dead = _dead_letters(bootstrap, topics)
    assert dead == [], f"dead-lettered: {dead}"


def _holds(event_id: str) -> Callable[[list[Message]], bool]:
    return lambda messages: any(dict(m.headers)["ce_id"].decode() == event_id for m in messages)


def _dead_letters(bootstrap: str, topics: Topics) -> list[str]:
    reader = Reader(bootstrap, [topics.dlq])
    try:
        return [dict(m.headers).get("govx_error", b"").decode() for m in reader.read_to_end(5.0)]
    finally:
        reader.close()
