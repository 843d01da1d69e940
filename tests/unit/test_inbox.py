"""`exchange.core.inbox.describe`: a delivery decoded with its view schema, its masks from the grant."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime

from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange, Moment
from exchange.core.directory import DirectoryEvent
from exchange.core.directory_view import DirectoryView
from exchange.core.events import build_event
from exchange.core.inbox import describe, needs_schemas
from exchange.core.rules import Rules
from tests.support import citizen_id, death_certificate

CATALOGUE = load_catalogue()
NOW = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)


def test_deliveries_are_described_with_grant_fields_and_masks() -> None:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, NOW))
    police = view.grants["death-to-gongan@440303"]
    # masks only string fields: the same canonical form, so the same schema id, as the police view
    twin = replace(police, id="death-twin@440303", masks=(("informant_name", "name_surname"),))
    view.apply(DirectoryEvent("grant.issued", NOW, twin))
    registry = SchemaRegistry()
    rules = Rules(registry)
    rules.update(view, list(view.resources))
    resource = CATALOGUE.resources["death_certificate"]
    event = build_event(resource, registry.register(resource.definition),
                        death_certificate("440303", person=citizen_id("440303", 9)), division="440303",
                        department="weijian", at=NOW, rng=random.Random(1))
    outcome = Exchange(rules).process(event.as_message(), Moment.of(NOW))
    by_grant = {d.route.grant: d for d in outcome.deliveries}
    messages = {grant: event.as_message()._replace(value=d.value, headers=d.headers, key=d.key)
                for grant, d in by_grant.items()}
    pensions = describe(registry, messages["death-to-renshe@440303"], view.grants)
    assert pensions["masks"] == {"household_address": "address_district", "informant_phone": "phone_last4"}
    assert pensions["record"]["informant_phone"] == "*******5678" and pensions["event_id"] == event.envelope.id
    assert "cause_of_death" not in pensions["fields"] and pensions["consumer"] == "440303/renshe"
    twin_seen = describe(registry, messages["death-twin@440303"], view.grants)
    police_seen = describe(registry, messages["death-to-gongan@440303"], view.grants)
    assert twin_seen["schema_id"] == police_seen["schema_id"]
    assert (twin_seen["masks"], police_seen["masks"]) == ({"informant_name": "name_surname"}, {})
    assert twin_seen["record"]["informant_name"] == "欧阳*"  # 欧阳明: a compound surname


def test_an_unknown_schema_asks_for_a_reload_and_is_described_as_undecodable() -> None:
    registry = SchemaRegistry()
    resource = CATALOGUE.resources["death_certificate"]
    event = build_event(resource, SchemaRegistry().register(resource.definition),
                        death_certificate("440303", person=citizen_id("440303", 9)), division="440303",
                        department="weijian", at=NOW, rng=random.Random(1))
    message = event.as_message()
    assert needs_schemas(registry, message)
    seen = describe(registry, message, {})
    assert seen["error"].startswith("schema.unknown") and seen["event_id"] == event.envelope.id
