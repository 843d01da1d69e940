"""A department's own tools on the real broker: `govx inbox` decodes its deliveries with their view
schemas, and `govx check` validates the events on a source topic exactly as the exchange did."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.directory import Node
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from govx.cli import main
from producers.faults import Fault
from producers.sample import sample
from tests.integration.kafka_helpers import read_until, running_worker

pytestmark = pytest.mark.integration
PENSIONS = Node("440303", "renshe")
PROVIDER = Node("440303", "weijian")


def test_inbox_and_check_read_what_the_exchange_wrote(bootstrap: str, topics: Topics, catalogue: Catalogue,
                                                      monkeypatch: pytest.MonkeyPatch,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes([PENSIONS]))
    admin.close()
    now = datetime.now(UTC)
    events = [sample(catalogue, "death_certificate", PROVIDER, at=now, seed=seed, topics=topics).publication.event
              for seed in (1, 2)]
    bad = sample(catalogue, "death_certificate", PROVIDER, at=now, seed=3, bad=Fault.KEY_MISMATCH, topics=topics)
    with running_worker(bootstrap, topics):
        publisher = Publisher(bootstrap)
        for event in [*events, bad.publication.event]:
            publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
        publisher.flush()
        publisher.close()
        read_until(bootstrap, topics.inbox(PENSIONS), lambda got: len(got) >= 2, settle_s=1.0)
    monkeypatch.setenv("GOVX_TOPIC_NAMESPACE", topics.namespace)
    capsys.readouterr()
    assert main(["inbox", "--node", PENSIONS.id, "--from-beginning", "--json", "--max", "2", "--for", "30"]) == 0
    deliveries = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert sorted(d["event_id"] for d in deliveries) == sorted(e.envelope.id for e in events)
    for delivery in deliveries:
        assert delivery["grant"] == "death-to-renshe@440303" and delivery["consumer"] == PENSIONS.id
        assert delivery["schema"] == "gov.health.view.DeathCertificate"
        assert delivery["masks"] == {"household_address": "address_district", "informant_phone": "phone_last4"}
        assert delivery["record"]["informant_phone"].startswith("*") and "cause_of_death" not in delivery["fields"]
    assert main(["check", "--resource", "death_certificate", "--node", PROVIDER.id, "--json"]) == 1
    report = json.loads(capsys.readouterr().out)
    assert (report["checked"], report["valid"]) == (3, 2)
    assert list(report["reasons"]) == ["key.mismatch"]
    assert report["reasons"]["key.mismatch"]["examples"][0]["event_id"] == bad.publication.event.envelope.id
