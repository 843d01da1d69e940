"""The API wired to the real broker: the whole sharing story, and schemathesis over its OpenAPI.

apply → approve → the exchange starts delivering → the lookup returns the masked record →
revoke → deliveries stop.
"""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from exchange.api.app import create_app
from exchange.api.keys import Keys
from exchange.api.link import KafkaLink
from exchange.api.state import ApiState, Limits
from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.directory import Node
from exchange.core.events import build_event
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Reader
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from exchange.runtime.metrics import Metrics
from tests.integration.kafka_helpers import running_worker
from tests.support import citizen_id, death_certificate

pytestmark = pytest.mark.integration
EDUCATION, HEALTH = Node("440106", "jiaoyu"), Node("440000", "weijian")
KEYS = {EDUCATION.id: "education-key-0123456789abcdef", HEALTH.id: "health-key-0123456789abcdefgh",
        "440106/renshe": "social-key-0123456789abcdefgh"}


def wired_app(bootstrap: str, topics: Topics, catalogue: Catalogue,
              limits: Limits | None = None) -> tuple[FastAPI, KafkaLink]:
    """The API as `govx api` wires it: fed by a `KafkaLink`, writing through it."""
    link = KafkaLink(kafka_transport(bootstrap), topics)
    state = ApiState(catalogue.departments, publish=link.publish, usage=link.usage,
                     metrics=Metrics(CollectorRegistry()), clock=lambda: datetime.now(UTC), topics=topics,
                     limits=limits or Limits())
    link.start(state)
    return create_app(state, Keys(KEYS), follows_broker=True), link


@pytest.fixture
def api(bootstrap: str, topics: Topics, catalogue: Catalogue) -> Iterator[TestClient]:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    app, link = wired_app(bootstrap, topics, catalogue)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        link.stop()


def until(check: Any, timeout_s: float = 30.0, what: str = "condition") -> Any:
    """Poll `check()` until it returns something truthy; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (result := check()):
        assert time.monotonic() < deadline, f"{what} not reached within {timeout_s}s"
    return result


class Deaths:
    """Publishes death certificates of 天河区 and watches the education bureau's inbox."""

    def __init__(self, bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
        self.resource = catalogue.resources["death_certificate"]
        self.schema = SchemaRegistry().register(self.resource.definition)
        self.publisher, self.topics, self.rng = Publisher(bootstrap, linger_ms=0), topics, random.Random(3)
        self.inbox = Reader(bootstrap, [topics.inbox(EDUCATION)])
        self.police = Reader(bootstrap, [topics.inbox(Node("440106", "gongan"))])
        self.people = itertools.count(1)
        self.received: dict[str, bytes | None] = {}
        self.seen_by_police: set[str] = set()

    def send(self) -> tuple[str, str]:
        record = death_certificate("440106", person=citizen_id("440106", next(self.people)))
        event = build_event(self.resource, self.schema, record, division="440106", department="weijian",
                            at=datetime.now(UTC), rng=self.rng, topics=self.topics)
        self.publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
        self.publisher.flush()
        return event.envelope.id, record["citizen_id"]

    def read(self) -> dict[str, bytes | None]:
        """Everything committed to the education bureau's inbox so far."""
        for message in self.inbox.read_to_end(10):
            self.received[dict(message.headers)["ce_id"].decode()] = message.key
        return self.received

    def reached_education(self, event_id: str) -> bool:
        """Wait until the exchange has processed the death (the police, who always get it, have it:
        the transaction is committed), then say whether the education bureau got it too."""
        deadline = time.monotonic() + 30
        while event_id not in self.seen_by_police:
            assert time.monotonic() < deadline, "the police never received the death"
            self.seen_by_police.update(dict(m.headers)["ce_id"].decode() for m in self.police.poll(200))
        return event_id in self.read()

    def delivered(self) -> tuple[str, str] | None:
        """Send one death; its (event id, person) if it reached the education bureau."""
        event_id, person = self.send()
        return (event_id, person) if self.reached_education(event_id) else None

    def close(self) -> None:
        self.publisher.close()
        self.inbox.close()
        self.police.close()


def test_apply_approve_deliver_lookup_revoke(api: TestClient, bootstrap: str, topics: Topics,
                                             catalogue: Catalogue) -> None:
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes([EDUCATION, Node("440106", "gongan")]))
    admin.close()
    education, health = {"X-Api-Key": KEYS[EDUCATION.id]}, {"X-Api-Key": KEYS[HEALTH.id]}
    deaths = Deaths(bootstrap, topics, catalogue)
    try:
        with running_worker(bootstrap, topics):
            application = api.post("/v1/applications", headers=education, json={
                "resource": "death_certificate", "purpose": "注销学籍、停发助学金 / close student records",
                "fields": ["citizen_id", "name", "death_time", "region", "household_address"], "scope": "own"})
            assert application.status_code == 201, application.text
            decided = api.post(f"/v1/applications/{application.json()['id']}/approve", headers=health,
                               json={"masks": {"name": "name_surname", "household_address": "address_district"}})
            assert decided.status_code == 200, decided.text
            grant = decided.json()["grant"]
            _, person = until(deaths.delivered, what="the approval taking effect in the exchange")
            found = until(lambda: (r := api.get(f"/v1/records/death_certificate/{person}", headers=education))
                          .status_code == 200 and r, what="the record in the lookup store")
            record = found.json()["record"]
            assert set(record) == {"citizen_id", "name", "death_time", "region", "household_address"}
            assert record["name"] == "欧阳**"
            assert record["household_address"].endswith("***") and found.json()["grant"] == grant["id"]
            revoked = api.post(f"/v1/grants/{grant['id']}/revoke", headers=health, json={"reason": "目的已达成"})
            assert revoked.status_code == 200 and revoked.json()["active"] is False
            assert api.get(f"/v1/records/death_certificate/{person}", headers=education).status_code == 403
            until(lambda: deaths.delivered() is None, what="deliveries stopping after the revocation")
            assert not any(deaths.delivered() for _ in range(5))
    finally:
        deaths.close()


# ── schemathesis: no server error, no response outside the documented schema ────────────────

def test_the_api_keeps_to_its_openapi_document(bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    """Every operation, with generated valid and invalid requests, as each kind of caller: never a 5xx,
    never a status, body or content type the document does not declare."""
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    app, link = wired_app(bootstrap, topics, catalogue)
    try:
        schema = schemathesis.openapi.from_asgi("/openapi.json", app)
        operations = [result.ok() for result in schema.get_all_operations() if isinstance(result, Ok)]
        assert len(operations) == len(list(schema.get_all_operations())) >= 14
        for operation in operations:
            _fuzz(operation)
        served = app.state.govx.metrics.registry
        calls = sum(sample.value for family in served.collect() if family.name == "govx_api_requests"
                    for sample in family.samples if sample.name == "govx_api_requests_total")
        assert calls >= 20 * len(operations)
    finally:
        link.stop()


def _fuzz(operation: Any) -> None:
    callers = [KEYS[EDUCATION.id], KEYS[HEALTH.id], "unknown-key-0123456789abcdefgh"]

    cases = st.one_of(operation.as_strategy(GenerationMode.POSITIVE), operation.as_strategy(GenerationMode.NEGATIVE))

    @settings(max_examples=60, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
    @given(case=cases, who=st.sampled_from(callers))
    def check(case: Any, who: str) -> None:
        case.call_and_validate(headers={"X-Api-Key": who}, checks=CHECKS)

    check()


CHECKS = [not_a_server_error, response_schema_conformance, status_code_conformance, content_type_conformance]
