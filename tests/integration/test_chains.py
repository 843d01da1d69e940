"""All departments of a city publish for a few seconds on the real broker; the chains line up."""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from datetime import UTC, datetime

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry, decode
from exchange.core.envelope import parse
from exchange.core.topics import Topics
from exchange.kafka.client import Publisher, Reader
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from producers.rate import RateProfile
from producers.simulator import Simulator, Source
from producers.world import originating_departments

pytestmark = pytest.mark.integration


def test_a_city_runs_all_departments_and_every_death_has_its_cancellation(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=2)
    sources = [Source("441800", department, RateProfile.build(3.0, 4.0))
               for department in originating_departments("441800", catalogue)]
    publisher = Publisher(bootstrap)
    summary = Simulator(catalogue, topics, publisher, sources, seed=8, start_s=time.time() + 0.2,
                        clock_origin=datetime.now(UTC)).run(threading.Event())
    publisher.close()
    reader = Reader(bootstrap, [topics.source(resource) for resource in catalogue.resources])
    messages = reader.read_to_end(30)
    reader.close()
    assert len(messages) == summary.produced
    registry = SchemaRegistry()
    for resource in catalogue.resources.values():
        registry.register(resource.definition)
    by_resource: dict[str, list[tuple[str, dict[str, object]]]] = defaultdict(list)
    for message in messages:
        envelope = parse(message.headers)
        by_resource[envelope.resource].append((envelope.subject, decode(registry, message.value)[1]))
    assert {r for r in catalogue.resources if r != "infectious_disease_report"} - set(by_resource) <= {
        "enterprise_deregistration"}
    cancellations = {key: record for key, record in by_resource["household_change"]
                     if record["change_type"] == "DEATH_CANCELLATION"}
    deaths = by_resource["death_certificate"]
    assert deaths
    for key, record in deaths:
        assert key in cancellations, f"no household cancellation for the death of {key}"
        assert cancellations[key]["death_certificate_no"] == record["certificate_no"]
    registrations = {key for key, record in by_resource["household_change"]
                     if record["change_type"] == "BIRTH_REGISTRATION"}
    for key, _ in by_resource["birth_certificate"]:
        newborn = {k for k, r in by_resource["household_change"] if r.get("birth_certificate_no") == key}
        assert len(newborn) == 1 and newborn <= registrations
        assert newborn <= {k for k, _ in by_resource["medical_insurance_enrolment"]}
    taxed = {key for key, _ in by_resource["tax_registration"]}
    assert {key for key, _ in by_resource["enterprise_registration"]} <= taxed
