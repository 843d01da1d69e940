"""Directory changes reach a running worker within seconds, without a restart: approve, then revoke."""

from __future__ import annotations

import itertools
import random
import time
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.directory import DirectoryEvent, GrantOrigin, Node
from exchange.core.events import build_event
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Reader
from exchange.kafka.directory_feed import publish
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import kafka_transport
from tests.integration.kafka_helpers import running_worker
from tests.support import citizen_id, death_certificate

pytestmark = pytest.mark.integration
EDUCATION = Node("440106", "jiaoyu")
POLICE = Node("440106", "gongan")


class Probe:
    """Sends death certificates and reports which of two inboxes each one reached."""

    def __init__(self, bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
        self.resource = catalogue.resources["death_certificate"]
        self.schema = SchemaRegistry().register(self.resource.definition)
        self.publisher = Publisher(bootstrap, linger_ms=0)
        self.police = Reader(bootstrap, [topics.inbox(POLICE)])
        self.education = Reader(bootstrap, [topics.inbox(EDUCATION)])
        self.topics, self.rng, self.people = topics, random.Random(5), itertools.count(1)
        self.seen_by_education: set[str] = set()
        self.seen_by_police: set[str] = set()

    def send(self) -> str:
        record = death_certificate("440106", person=citizen_id("440106", next(self.people) % 999 + 1))
        event = build_event(self.resource, self.schema, record, division="440106", department="weijian",
                            at=datetime.now(UTC), rng=self.rng, topics=self.topics)
        self.publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
        self.publisher.flush()
        return event.envelope.id

    def reached_education(self, event_id: str, timeout_s: float = 30.0) -> bool:
        """Wait until the police got `event_id` (same transaction), then say whether education did."""
        deadline = time.monotonic() + timeout_s
        while event_id not in self.seen_by_police:
            assert time.monotonic() < deadline, "the police never received the probe"
            self.seen_by_police |= {dict(m.headers)["ce_id"].decode() for m in self.police.poll(200)}
        self.seen_by_education |= {dict(m.headers)["ce_id"].decode() for m in self.education.read_to_end(10)}
        return event_id in self.seen_by_education

    def close(self) -> None:
        for closer in (self.publisher.close, self.police.close, self.education.close):
            closer()


def _until(probe: Probe, wanted: bool, timeout_s: float = 30.0) -> float:
    """Send probes until one reaches education (or not) as `wanted`; return the seconds it took."""
    started = time.monotonic()
    while probe.reached_education(probe.send()) != wanted:
        assert time.monotonic() - started < timeout_s, f"directory change not applied within {timeout_s}s"
    return time.monotonic() - started


def test_an_approval_takes_effect_within_seconds_and_a_revocation_stops_deliveries(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes([POLICE, EDUCATION]))
    admin.close()
    view = read_directory(kafka_transport(bootstrap), topics, catalogue)
    approved = replace(view.grant("death-to-gongan@440106"), id="approved-jiaoyu@440106", consumer=EDUCATION,
                       origin=GrantOrigin.APPROVAL, application="app-test")
    probe = Probe(bootstrap, topics, catalogue)
    control = Publisher(bootstrap)
    try:
        with running_worker(bootstrap, topics):
            assert not probe.reached_education(probe.send())
            publish(control, topics.directory, [DirectoryEvent("grant.issued", datetime.now(UTC), approved)])
            assert _until(probe, wanted=True) < 10.0
            revoked = approved.revoke(datetime.now(UTC), "purpose fulfilled")
            publish(control, topics.directory, [DirectoryEvent("grant.revoked", datetime.now(UTC), revoked)])
            assert _until(probe, wanted=False) < 10.0
            after = [probe.send() for _ in range(10)]
            assert not any(probe.reached_education(event_id) for event_id in after)
    finally:
        control.close()
        probe.close()
