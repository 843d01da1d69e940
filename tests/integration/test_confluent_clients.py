"""A departmental system with Confluent's own clients: `SerializingProducer` + `AvroSerializer`
pointed at govx's registry publishes from 罗湖 (440303), the exchange delivers, and consumers'
`AvroDeserializer` decodes the deliveries — full, projected and masked — by their schema ids."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.error import ValueSerializationError
from confluent_kafka.schema_registry import SchemaRegistryClient
from confluent_kafka.schema_registry.avro import AvroDeserializer, AvroSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

from exchange.core import masking
from exchange.core.catalogue import Catalogue
from exchange.core.directory import Node
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from tests.integration.kafka_helpers import running_worker
from tests.integration.registry_server import running_registry
from tests.support import citizen_id, death_certificate

pytestmark = pytest.mark.integration
KEY = "weijian-luohu-key-0123456789abcdef"
MEDICAL = {"cause_of_death", "underlying_cause", "icd10_code", "diagnosis_basis"}
POLICE, PENSIONS = Node("440303", "gongan"), Node("440303", "renshe")  # projected; projected and masked


def _headers(record: dict[str, Any]) -> list[tuple[str, str | bytes | None]]:
    """The CloudEvents headers a departmental system writes, by the README's rules."""
    return [("ce_specversion", b"1.0"), ("ce_id", str(uuid.uuid4()).encode()),
            ("ce_source", b"/440303/weijian"), ("ce_type", b"gov.death_certificate.created"),
            ("ce_subject", record["citizen_id"].encode()),
            ("ce_time", datetime.now(UTC).isoformat(timespec="milliseconds").encode()),
            ("ce_region", b"440303"), ("ce_traceparent", f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01".encode())]


def _consume(bootstrap: str, topic: str, registry: SchemaRegistryClient, count: int) -> list[Any]:
    consumer = DeserializingConsumer({
        "bootstrap.servers": bootstrap, "group.id": f"dept-{uuid.uuid4().hex}", "auto.offset.reset": "earliest",
        "isolation.level": "read_committed", "key.deserializer": StringDeserializer("utf_8"),
        "value.deserializer": AvroDeserializer(registry)})
    consumer.subscribe([topic])
    found: list[Any] = []
    deadline = time.monotonic() + 60
    try:
        while len(found) < count:
            assert time.monotonic() < deadline, f"{topic}: {len(found)} of {count} deliveries within 60 s"
            message = consumer.poll(0.5)
            if message is not None and message.error() is None:
                found.append(message)
    finally:
        consumer.close()
    return found


def _refused_when_the_schema_differs(bootstrap: str, client: SchemaRegistryClient, schema_str: str,
                                     topics: Topics, record: dict[str, Any]) -> None:
    changed = json.loads(schema_str)
    changed["fields"].append({"name": "extra", "type": ["null", "string"], "default": None})
    producer = SerializingProducer({"bootstrap.servers": bootstrap, "key.serializer": StringSerializer("utf_8"),
                                    "value.serializer": AvroSerializer(client, json.dumps(changed))})
    with pytest.raises(ValueSerializationError, match="incompatible"):
        producer.produce(topics.source("death_certificate"), key=record["citizen_id"], value=record)
    assert producer.flush(10) == 0


def test_confluent_serializer_and_deserializer_work_against_govx(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes([POLICE, PENSIONS]))
    admin.close()
    records = [death_certificate("440303", person=citizen_id("440303", n)) for n in (11, 13, 15)]
    with running_registry(bootstrap, topics, catalogue, {"440303/weijian": KEY}) as url, \
            SchemaRegistryClient({"url": url, "basic.auth.user.info": f"440303/weijian:{KEY}"}) as client, \
            SchemaRegistryClient({"url": url}) as reader:  # consumers read without a credential
        subject = f"{topics.source('death_certificate')}-value"
        schema_str = client.get_latest_version(subject).schema.schema_str
        producer = SerializingProducer({
            "bootstrap.servers": bootstrap, "key.serializer": StringSerializer("utf_8"),
            "value.serializer": AvroSerializer(client, schema_str)})  # auto.register.schemas: the default
        with running_worker(bootstrap, topics):
            for record in records:
                producer.produce(topics.source("death_certificate"), key=record["citizen_id"], value=record,
                                 headers=_headers(record))
            assert producer.flush(30) == 0
            _refused_when_the_schema_differs(bootstrap, client, schema_str, topics, records[0])
            police = _consume(bootstrap, topics.inbox(POLICE), reader, len(records))
            pensions = _consume(bootstrap, topics.inbox(PENSIONS), reader, len(records))
    sent = {r["citizen_id"]: r for r in records}
    for message in police:
        got = message.value()
        assert MEDICAL.isdisjoint(got) and got["name"] == sent[message.key()]["name"]
        assert got["death_time"] == sent[message.key()]["death_time"]  # logical types decoded
    phone = masking.policy("phone_last4").mask
    for message in pensions:
        got = message.value()
        assert got["informant_phone"] == phone(sent[message.key()]["informant_phone"]) != "13812345678"
        assert MEDICAL.isdisjoint(got)
