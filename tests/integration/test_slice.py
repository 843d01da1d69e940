"""The first vertical slice on the real broker: 卫健 publishes death certificates, the exchange
delivers them to 公安 of the same city without the medical fields, and 公安 receives exactly them."""

from __future__ import annotations

import random

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry, decode
from exchange.core.directory import Node
from exchange.core.events import build_event
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher
from exchange.kafka.provision import provision
from exchange.kafka.schema_feed import load_published
from exchange.kafka.transport import kafka_transport
from tests.integration.kafka_helpers import read_until, running_worker
from tests.support import NOW, citizen_id, death_certificate

pytestmark = pytest.mark.integration
MEDICAL = {"cause_of_death", "underlying_cause", "icd10_code", "diagnosis_basis"}


def test_death_certificates_reach_the_city_police_without_the_cause_of_death(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=3)
    police = Node("440100", "gongan")
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes([police]))
    admin.close()
    resource = catalogue.resources["death_certificate"]
    schema = SchemaRegistry().register(resource.definition)
    rng = random.Random(11)
    events = [build_event(resource, schema, death_certificate("440106", person=citizen_id("440106", n)),
                          division="440106", department="weijian", at=NOW, rng=rng, topics=topics)
              for n in range(1, 41)]
    with running_worker(bootstrap, topics):
        publisher = Publisher(bootstrap)
        for event in events:
            publisher.send(event.topic, event.value, key=event.key, headers=event.headers,
                           timestamp_ms=event.timestamp_ms)
        publisher.flush()
        publisher.close()
        sent = {e.envelope.id for e in events}
        received = read_until(bootstrap, topics.inbox(police),
                              lambda got: sent <= {dict(m.headers)["ce_id"].decode() for m in got}, settle_s=1.0)
    ids = [dict(m.headers)["ce_id"].decode() for m in received]
    assert sorted(ids) == sorted(sent)
    registry = SchemaRegistry()
    load_published(kafka_transport(bootstrap).reader([topics.schemas]), registry)
    by_id = {e.envelope.id: e for e in events}
    for message in received:
        _, record = decode(registry, message.value)
        assert MEDICAL.isdisjoint(record)
        assert message.key == by_id[dict(message.headers)["ce_id"].decode()].key
        assert record["citizen_id"] == message.key.decode()
        assert dict(message.headers)["govx_consumer"] == b"440100/gongan"
