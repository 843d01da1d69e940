"""The directory model, its JSON events and the view rebuilt from them."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.directory import Application, DirectoryEvent, Node
from exchange.core.directory_codec import from_json, to_json
from exchange.core.directory_view import DirectoryView
from exchange.core.regions import RegionScope
from exchange.errors import DirectoryError, NotFoundError
from tests.support import NOW

CATALOGUE = load_catalogue()


def test_every_seed_event_round_trips_through_json() -> None:
    view = DirectoryView(CATALOGUE.departments)
    for event in seed_events(CATALOGUE, view, NOW):
        decoded = from_json(to_json(event))
        assert decoded == event
        assert decoded.key == event.key


def test_an_application_round_trips_with_its_node_and_dates() -> None:
    application = Application("app-1", Node("440106", "renshe"), "death_certificate", "停发养老金",
                              ("citizen_id", "name"), RegionScope.OWN, NOW, NOW.date())
    event = DirectoryEvent("application.submitted", NOW, application)
    assert from_json(to_json(event)) == event
    assert event.key == "application/app-1"


@pytest.mark.parametrize(("mutate", "message"), [
    (lambda d: d.pop("kind"), "not a directory event"),
    (lambda d: d["entity"].update(surprise=1), "no field"),
    (lambda d: d["entity"].update(scope="everywhere"), "scope"),
    (lambda d: d["entity"].update(consumer="gongan"), "consumer"),
    (lambda d: d["entity"].update(fields="citizen_id"), "must be a list"),
    (lambda d: d["entity"].pop("resource"), "incomplete"),
    (lambda d: d["entity"].update(valid_from="soon"), "valid_from"),
])
def test_a_malformed_event_is_refused_with_a_reason(mutate, message: str) -> None:  # type: ignore[no-untyped-def]
    grant = CATALOGUE.grants[0]
    document = json.loads(to_json(DirectoryEvent("grant.issued", NOW, grant)))
    mutate(document)
    with pytest.raises(DirectoryError, match=message):
        from_json(json.dumps(document).encode())


def test_not_json_is_refused() -> None:
    with pytest.raises(DirectoryError):
        from_json(b"\xff{")


def test_the_view_follows_grants_and_their_revocation() -> None:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, NOW))
    grant = view.grant("death-to-gongan@440106")
    assert grant in view.grants_on("death_certificate")
    assert grant in view.grants_received(Node("440106", "gongan"))
    assert grant in view.grants_given(view.resource("death_certificate").owner)
    changed = view.apply(DirectoryEvent("grant.revoked", NOW, grant.revoke(NOW, "no longer needed")))
    assert changed == "death_certificate"
    assert grant.id not in {g.id for g in view.grants_on("death_certificate")}
    assert view.grant(grant.id).revoked_reason == "no longer needed"


def test_seeding_twice_publishes_nothing_new_and_never_revives_a_revoked_grant() -> None:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, NOW))
    grant = view.grant("death-to-gongan@440106")
    view.apply(DirectoryEvent("grant.revoked", NOW, grant.revoke(NOW, "test")))
    assert seed_events(CATALOGUE, view, NOW) == []


def test_a_changed_catalogue_entry_is_published_again() -> None:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, NOW))
    renamed = replace(CATALOGUE, resources={**CATALOGUE.resources, "death_certificate": replace(
        CATALOGUE.resources["death_certificate"], name="居民死亡医学证明（推断）书")})
    assert [e.entity.id for e in seed_events(renamed, view, NOW)] == ["death_certificate"]


def test_unknown_entities_are_not_found() -> None:
    view = DirectoryView({})
    for lookup in (view.resource, view.grant, view.application):
        with pytest.raises(NotFoundError):
            lookup("nothing")


@pytest.mark.parametrize(("raw", "says"), [
    (b'{"type": "x"}', "needs the member(s) at, entity, kind"),
    (b"[1]", "must be a JSON object"),
    (b'{"type": "x", "at": "2026-01-01T00:00:00+08:00", "kind": "nope", "entity": {}}', "unknown entity kind"),
    (b'{"type": "x", "at": "2026-01-01T00:00:00+08:00", "kind": ["grant"], "entity": {}}', "not a directory event"),
    (b"not json", "not a directory event: JSONDecodeError"),
])
def test_a_malformed_directory_event_is_refused_saying_what_is_wrong(raw: bytes, says: str) -> None:
    with pytest.raises(DirectoryError, match=re.escape(says)):
        from_json(raw)
