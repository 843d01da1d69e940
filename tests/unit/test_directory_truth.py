"""One order of truth in the directory (issue 10): versions, deadlines, one grant validator, one delivery each."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

import pytest

from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.directory import Application, ApplicationStatus, DirectoryEvent, Grant, GrantOrigin, Node
from exchange.core.directory_apply import DirectoryApplier, Verdict
from exchange.core.directory_codec import from_json, to_json
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.core.regions import RegionScope
from exchange.core.rules import compile_resource
from exchange.core.sharing import Decision, Sharing
from exchange.core.testing import ExchangeDriver
from exchange.core.topics import Topics
from exchange.errors import DirectoryError
from tests.support import NOW, death_certificate

CATALOGUE = load_catalogue()
EDUCATION = Node("440106", "jiaoyu")
HEALTH = Node("440000", "weijian")


def seeded() -> DirectoryView:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, NOW))
    return view


def pending_application(view: DirectoryView) -> Application:
    application = Application("app-1", EDUCATION, "death_certificate", "注销学籍",
                              ("citizen_id", "name", "region"), RegionScope.OWN, NOW, NOW.date())
    assert view.apply(DirectoryEvent("application.submitted", NOW, application)) == "death_certificate"
    return application


def as_message(event: DirectoryEvent, offset: int, at_ms: int) -> Message:
    return Message("gov.directory", 0, offset, event.key.encode(), to_json(event), (), at_ms)


def test_an_older_event_read_back_never_reverts_newer_state() -> None:
    """The reported defect: a refusal, then the approval read back from Kafka over it."""
    view = seeded()
    application = pending_application(view)
    sharing = Sharing(view, clock=lambda: NOW)
    [approval] = sharing.approve(HEALTH, application.id, Decision(), NOW + timedelta(days=30))
    [refusal] = sharing.refuse(HEALTH, application.id, "用途不符")
    assert approval.entity.version == refusal.entity.version == 2
    assert view.apply(refusal) == "death_certificate"
    assert view.apply(approval) is None and view.last_skip == "stale"
    assert view.application(application.id).status is ApplicationStatus.REFUSED
    assert approval.issued is not None and approval.issued.id not in view.grants  # the loser's grant never exists


def test_of_two_decisions_on_one_version_the_first_in_the_log_wins_in_every_reader() -> None:
    views = [seeded(), seeded()]
    application = pending_application(views[0])
    pending_application(views[1])
    sharing = Sharing(views[0], clock=lambda: NOW)
    [approval] = sharing.approve(HEALTH, application.id, Decision(), NOW + timedelta(days=30))
    [refusal] = sharing.refuse(HEALTH, application.id, "用途不符")
    log = [as_message(approval, 1, 1), as_message(refusal, 2, 2)]
    verdicts: list[Verdict] = []
    for view in views:
        DirectoryApplier(view, on_verdict=verdicts.append).apply(log)
        assert view.application(application.id).status is ApplicationStatus.APPROVED
        assert approval.issued is not None and not view.grant(approval.issued.id).revoked
    assert [v.outcome for v in verdicts] == ["applied", "stale"] * 2


def test_an_event_appended_after_its_deadline_never_applies() -> None:
    view = seeded()
    grant = view.grant("death-to-renshe@440106")
    revoked = DirectoryEvent("grant.revoked", NOW, grant.revoke(NOW, "x"), write="w1", deadline=NOW)
    deadline_ms = int(NOW.timestamp() * 1000)
    verdicts: list[Verdict] = []
    DirectoryApplier(view, on_verdict=verdicts.append).apply([as_message(revoked, 9, deadline_ms + 1)])
    assert verdicts[0].outcome == "expired" and not view.grant(grant.id).revoked
    DirectoryApplier(view, on_verdict=verdicts.append).apply([as_message(revoked, 10, deadline_ms)])
    assert verdicts[1].outcome == "applied" and view.grant(grant.id).revoked


def test_write_id_deadline_and_issued_grant_round_trip_through_json() -> None:
    view = seeded()
    application = pending_application(view)
    [approval] = Sharing(view, clock=lambda: NOW).approve(HEALTH, application.id, Decision(), NOW + timedelta(days=9))
    stamped = replace(approval, write="abc", deadline=NOW + timedelta(seconds=5))
    assert from_json(to_json(stamped)) == stamped
    document = json.loads(to_json(stamped))
    document["surprise"] = 1
    with pytest.raises(DirectoryError, match="surprise"):
        from_json(json.dumps(document).encode())


@pytest.mark.parametrize(("change", "code"), [
    ({"consumer": Node("449999", "jiaoyu")}, "node.division"),
    ({"consumer": Node("440106", "unicorns")}, "node.department"),
    ({"fields": ()}, "field.empty"),
    ({"fields": ("citizen_id", "shoe_size")}, "field.unknown"),
    ({"masks": (("name", "date_year"),)}, "grant.mask"),
    ({"masks": (("citizen_id", "drop"),)}, "grant.mask"),
    ({"valid_until": NOW - timedelta(days=1)}, "grant.window"),
])
def test_a_bad_grant_is_refused_by_the_view_and_never_compiled(change: dict[str, object], code: str) -> None:
    """The one grant validator: the view refuses what the API refuses; the compiler skips it, never raises."""
    view = seeded()
    base = replace(view.grant("death-to-gongan@440106"), id="bad@x", consumer=EDUCATION, valid_from=NOW,
                   valid_until=NOW + timedelta(days=30))
    bad = replace(base, **change)  # type: ignore[arg-type]
    with pytest.raises(DirectoryError) as refused:
        view.apply(DirectoryEvent("grant.issued", NOW, bad))
    assert refused.value.code == code and "bad@x" not in view.grants
    resource = view.resource("death_certificate")
    rules = compile_resource(resource, [*view.grants_on(resource.id), bad], ExchangeDriver().registry, Topics())
    compiled_departments = code != "node.department"  # the compiler has no department table: it routes any name
    assert dict(rules.skips).get("grant_invalid", 0) == int(compiled_departments)
    assert len(rules.routes) == len(view.grants_on(resource.id)) + int(not compiled_departments)


def test_a_second_active_grant_for_one_consumer_and_resource_is_refused() -> None:
    view = seeded()
    held = view.grant("death-to-renshe@440106")
    twin = replace(held, id="twin@440106", valid_from=NOW)
    with pytest.raises(DirectoryError) as refused:
        view.apply(DirectoryEvent("grant.issued", NOW, twin))
    assert refused.value.code == "grant.duplicate"
    view.apply(DirectoryEvent("grant.revoked", NOW, held.revoke(NOW, "replaced")))
    assert view.apply(DirectoryEvent("grant.issued", NOW, twin)) == "death_certificate"


def test_a_consumer_receives_each_event_once_however_its_grants_overlap() -> None:
    driver = ExchangeDriver(at=NOW)
    resource = driver.view.resource("death_certificate")
    grants = driver.view.grants_on(resource.id)
    police = next(g for g in grants if g.consumer == Node("440106", "gongan"))
    overlapping = [replace(police, id=f"copy-{n}@440106", origin=GrantOrigin.APPROVAL) for n in range(3)]
    driver.rules._rules[resource.id] = compile_resource(resource, [*grants, *overlapping], driver.registry,
                                                        Topics())
    outcome = driver.pipe(driver.event("death_certificate", death_certificate("440106")))
    consumers = [d.route.consumer for d in outcome.deliveries]
    assert consumers.count(police.consumer) == 1 and len(consumers) == len(set(consumers))
    assert outcome.skips["grant_overlap"] == 3


def test_a_grant_issued_by_an_approval_must_be_the_one_the_application_names() -> None:
    view = seeded()
    application = pending_application(view)
    [approval] = Sharing(view, clock=lambda: NOW).approve(HEALTH, application.id, Decision(), NOW + timedelta(days=9))
    assert isinstance(approval.issued, Grant)
    forged = replace(approval, issued=replace(approval.issued, id="forged"))
    with pytest.raises(DirectoryError, match="does not issue"):
        view.apply(forged)
    assert view.application(application.id).status is ApplicationStatus.PENDING
