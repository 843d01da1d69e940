"""The API never loses, reverts or multiplies a decision, and is no look-up oracle (issue 10) — no broker.

The directory topic is a `Loopback`: a write is appended and fed back as the API's feed would; two
API processes are two states on one loopback, one of them lagging behind the log.
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from exchange.api.app import create_app
from exchange.api.keys import Keys
from exchange.api.state import ApiState, Limits
from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.directory import ApplicationStatus, DirectoryEvent, Node
from exchange.core.directory_view import DirectoryView
from exchange.core.events import build_event
from exchange.core.message import Message
from exchange.runtime.metrics import Metrics
from tests.support import citizen_id, death_certificate
from tests.unit.loopback import Loopback, Stalled, TwoProcesses

CATALOGUE = load_catalogue()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
NODES = {"renshe": "440106/renshe", "weijian": "440000/weijian", "jiaoyu": "440106/jiaoyu",
         "nowhere": "449999/jiaoyu", "jiaotong": "440106/jiaotong"}
KEYS = {node: f"key-for-{name}-0123456789abcdef" for name, node in NODES.items()}
APPLY = {"resource": "death_certificate", "purpose": "注销学籍、停发助学金", "scope": "own",
         "fields": ["citizen_id", "name", "death_time", "region", "birth_date"]}


class Ticks:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def as_(name: str) -> dict[str, str]:
    return {"X-Api-Key": KEYS[NODES[name]]}


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    assert response.json()["error"]["code"] == code, response.text
    message: str = response.json()["error"]["message"]
    return message


def new_state(loop: Loopback, limits: Limits | None = None, ticks: Ticks | None = None) -> ApiState:
    state = ApiState(CATALOGUE.departments, publish=loop.publish, usage=loop.usage,
                     metrics=Metrics(CollectorRegistry()), clock=lambda: NOW, limits=limits or Limits(),
                     ticks=ticks or Ticks())
    loop.state = state
    loop.append(seed_events(CATALOGUE, DirectoryView(CATALOGUE.departments), NOW))
    return state


@pytest.fixture
def loop() -> Loopback:
    return Loopback()


@pytest.fixture
def ticks() -> Ticks:
    return Ticks()


@pytest.fixture
def state(loop: Loopback, ticks: Ticks) -> ApiState:
    return new_state(loop, Limits(lookups_per_minute=5, max_body_bytes=4096), ticks)


@pytest.fixture
def client(state: ApiState) -> Iterator[TestClient]:
    with TestClient(create_app(state, Keys(KEYS))) as test_client:
        yield test_client


# ── 1. durable writes ───────────────────────────────────────────────────────────────────────

def test_a_write_the_broker_does_not_take_is_503_with_retry_after_and_changes_nothing(
        client: TestClient, loop: Loopback) -> None:
    before = len(loop.log)
    loop.down = True
    revoked = client.post("/v1/grants/death-to-renshe@440106/revoke", json={"reason": "目的已达成"},
                          headers=as_("weijian"))
    assert "nothing was changed" in error_of(revoked, 503, "directory.unavailable")
    assert int(revoked.headers["Retry-After"]) >= 1
    assert client.get("/v1/grants/death-to-renshe@440106", headers=as_("renshe")).json()["active"] is True
    assert len(loop.log) == before


def test_reads_and_health_answer_while_a_write_waits_for_the_broker() -> None:
    loop = Stalled()
    state = new_state(loop)
    with TestClient(create_app(state, Keys(KEYS))) as client:
        loop.stalling = True
        answers: list[int] = []
        writer = threading.Thread(target=lambda: answers.append(client.post(
            "/v1/grants/death-to-renshe@440106/revoke", json={"reason": "目的已达成"}, headers=as_("weijian"))
            .status_code))
        writer.start()
        assert loop.entered.wait(10)
        try:
            grant = client.get("/v1/grants/death-to-renshe@440106", headers=as_("renshe"))
            health = client.get("/health")
            assert grant.status_code == 200 and grant.json()["active"] is True and health.status_code == 200
            assert not answers, "the write answered before the broker did"
        finally:
            loop.release.set()
            writer.join(30)
        assert answers == [503]


def test_an_expired_write_read_back_late_never_applies(client: TestClient, loop: Loopback,
                                                       state: ApiState) -> None:
    grant = state.view.grant("death-to-renshe@440106")
    late = DirectoryEvent("grant.revoked", NOW, grant.revoke(NOW, "given up"), write="gave-up",
                          deadline=datetime.now(UTC) - timedelta(seconds=1))
    loop.append([late])
    assert client.get(f"/v1/grants/{grant.id}", headers=as_("renshe")).json()["active"] is True


# ── 2. one order of truth ───────────────────────────────────────────────────────────────────

def test_two_api_processes_deciding_one_application_have_one_winner_in_answers_and_log() -> None:
    log = TwoProcesses()
    states = [ApiState(CATALOGUE.departments, publish=log.writer_for(n), usage=log.usage,
                       metrics=Metrics(CollectorRegistry()), clock=lambda: NOW) for n in range(2)]
    log.states = states
    log.append(seed_events(CATALOGUE, DirectoryView(CATALOGUE.departments), NOW))
    log.deliver(1)
    first, second = (TestClient(create_app(s, Keys(KEYS))) for s in states)
    application = first.post("/v1/applications", json=APPLY, headers=as_("jiaoyu")).json()
    log.deliver(1)
    path = f"/v1/applications/{application['id']}"
    approved = first.post(f"{path}/approve", json={}, headers=as_("weijian"))
    refused = second.post(f"{path}/refuse", json={"reason": "用途不符"}, headers=as_("weijian"))  # B has not read it
    assert approved.status_code == 200
    assert "came first" in error_of(refused, 409, "conflict.concurrent")
    replayed = DirectoryView(CATALOGUE.departments)
    replayed.apply_all(log.events())
    assert replayed.application(application["id"]).status is ApplicationStatus.APPROVED
    assert not replayed.grant(approved.json()["grant"]["id"]).revoked
    for state in states:
        assert state.view.application(application["id"]).status is ApplicationStatus.APPROVED
    assert [e.type for e in log.events()[-2:]] == ["application.approved", "application.refused"]
    [reasserted] = states[1].reasserts  # the loser's process writes the winner again, so the key's last record
    assert reasserted.type == "application.reasserted" and reasserted.entity.version == 2  # is the winner's
    log.append([reasserted])
    assert states[0].view.application(application["id"]).status is ApplicationStatus.APPROVED
    after_compaction = DirectoryView(CATALOGUE.departments)  # only the last record of each key is left
    after_compaction.apply_all(seed_events(CATALOGUE, DirectoryView(CATALOGUE.departments), NOW))
    after_compaction.apply(reasserted)
    assert after_compaction.application(application["id"]).status is ApplicationStatus.APPROVED
    assert reasserted.issued is not None and reasserted.issued.id in after_compaction.grants
    assert not states[1].reasserts[1:]


# ── 3. validated at the door, survived on read ──────────────────────────────────────────────

@pytest.mark.parametrize(("approval", "code"), [
    ({"masks": {"name": "date_year"}}, "grant.mask"),
    ({"fields": []}, "field.empty"),
    ({"valid_until": "2040-01-01"}, "grant.window"),
])
def test_an_approval_that_would_never_work_is_422(client: TestClient, approval: dict[str, Any], code: str) -> None:
    application = client.post("/v1/applications", json=APPLY, headers=as_("jiaoyu")).json()
    error_of(client.post(f"/v1/applications/{application['id']}/approve", json=approval, headers=as_("weijian")),
             422, code)
    assert client.get(f"/v1/applications/{application['id']}", headers=as_("jiaoyu")).json()["status"] == "pending"


def test_a_node_of_an_unknown_division_is_refused_at_the_door(client: TestClient) -> None:
    body = {**APPLY, "resource": "enterprise_registration", "fields": ["*"]}
    assert "449999" in error_of(client.post("/v1/subscriptions", json=body, headers=as_("nowhere")), 422,
                                "node.division")


def test_a_poison_grant_another_tool_wrote_is_skipped_and_later_events_still_apply(
        client: TestClient, loop: Loopback, state: ApiState) -> None:
    base = state.view.grant("death-to-gongan@440106")
    poison = DirectoryEvent("grant.issued", NOW, base.__class__(**{**base.__dict__, "id": "poison",
                                                                  "consumer": Node("449999", "gongan")}))
    loop.log.append(Message("gov.directory", 0, len(loop.log), b"grant/junk", b"{not json", (), 1))
    loop.append([poison, DirectoryEvent("grant.revoked", NOW, base.revoke(NOW, "after the poison"))])
    assert "poison" not in state.view.grants and state.view.grant(base.id).revoked
    assert client.get("/health").status_code == 200


# ── 4. one active grant per consumer and resource ───────────────────────────────────────────

def test_subscribing_twice_returns_the_existing_grant(client: TestClient, state: ApiState, loop: Loopback) -> None:
    body = {**APPLY, "resource": "enterprise_registration", "fields": ["*"]}
    first = client.post("/v1/subscriptions", json=body, headers=as_("jiaoyu"))
    again = [client.post("/v1/subscriptions", json=body, headers=as_("jiaoyu")) for _ in range(5)]
    assert first.status_code == 201 and {r.status_code for r in again} == {200}
    assert {r.json()["id"] for r in again} == {first.json()["id"]}
    mine = [g for g in state.view.grants_on("enterprise_registration") if g.consumer == Node("440106", "jiaoyu")]
    assert [g.id for g in mine] == [first.json()["id"]]
    assert sum(1 for e in loop.events() if e.type == "grant.issued" and e.entity.id.startswith("sub-")) == 1


def test_approving_for_a_consumer_that_holds_a_grant_is_409(client: TestClient) -> None:
    application = client.post("/v1/applications", json=APPLY, headers=as_("renshe")).json()
    error_of(client.post(f"/v1/applications/{application['id']}/approve", json={}, headers=as_("weijian")), 409,
             "grant.duplicate")


# ── 5. no look-up oracle ────────────────────────────────────────────────────────────────────

def _store_death(state: ApiState, region: str, sequence: int) -> str:
    record = death_certificate(region, person=citizen_id(region, sequence))
    resource = state.view.resource("death_certificate")
    event = build_event(resource, state.rules.registry.register(resource.definition), record, division=region,
                        department="weijian", at=NOW, rng=random.Random(sequence))
    assert state.store.apply(event.as_message())
    return str(record["citizen_id"])


def test_a_grant_that_masks_the_subject_allows_no_lookup_by_the_raw_subject(client: TestClient,
                                                                            state: ApiState) -> None:
    application = client.post("/v1/applications", json=APPLY, headers=as_("jiaoyu")).json()
    approved = client.post(f"/v1/applications/{application['id']}/approve",
                           json={"masks": {"citizen_id": "id_keep_6_4"}}, headers=as_("weijian"))
    assert approved.status_code == 200, approved.text
    person = _store_death(state, "440106", 21)
    refused = [client.get(f"/v1/records/death_certificate/{key}", headers=as_("jiaoyu"))
               for key in (person, citizen_id("440106", 22))]
    assert all("masks the subject" in error_of(r, 403, "lookup.masked_subject") for r in refused)
    assert refused[0].json() == refused[1].json()


def test_lookups_are_rate_limited_per_key(client: TestClient, ticks: Ticks) -> None:
    for n in range(5):
        assert client.get(f"/v1/records/death_certificate/{citizen_id('440106', n)}",
                          headers=as_("renshe")).status_code == 404
    limited = client.get("/v1/records/death_certificate/x", headers=as_("renshe"))
    error_of(limited, 429, "rate_limited")
    assert int(limited.headers["Retry-After"]) >= 1
    assert client.get("/v1/records/death_certificate/x", headers=as_("jiaotong")).status_code != 429
    ticks.now += 12.0
    assert client.get("/v1/records/death_certificate/x", headers=as_("renshe")).status_code == 404


def test_a_lookup_leaves_a_usage_record(client: TestClient, state: ApiState, loop: Loopback) -> None:
    person = _store_death(state, "440106", 31)
    found = client.get(f"/v1/records/death_certificate/{person}", headers=as_("renshe"))
    assert found.status_code == 200, found.text
    [(key, raw)] = loop.usage_records
    record = json.loads(raw)
    assert key == person.encode() and record["channel"] == "lookup" and record["caller"] == "440106/renshe"
    [usage] = record["usages"]  # the shape of a delivering event's usage record, one entry
    assert usage["grant"] == found.json()["grant"] and record["event_id"] == found.json()["event_id"]


# ── 6. HTTP hygiene ─────────────────────────────────────────────────────────────────────────

def test_a_body_over_the_limit_is_413_in_the_json_shape(client: TestClient) -> None:
    body = {**APPLY, "purpose": "x" * 5000}
    assert "4096 bytes" in error_of(client.post("/v1/applications", json=body, headers=as_("jiaoyu")), 413,
                                    "too_large")

    def chunks() -> Iterator[bytes]:
        yield b'{"purpose": "'
        for _ in range(10):
            yield b"y" * 1000
        yield b'"}'

    streamed = client.post("/v1/applications", content=chunks(), headers={**as_("jiaoyu"),
                                                                         "Content-Type": "application/json"})
    error_of(streamed, 413, "too_large")


def test_a_repeated_api_key_is_400(client: TestClient) -> None:
    headers = [("X-Api-Key", KEYS[NODES["renshe"]]), ("X-Api-Key", KEYS[NODES["weijian"]])]
    assert "exactly one" in error_of(client.get("/v1/grants", headers=headers), 400, "request.bad")


class BrokenStore:
    """A record store that fails, as a bug would."""

    def get(self, resource: str, key: str) -> None:
        raise RuntimeError("a bug")


def test_an_unexpected_failure_is_a_500_in_the_json_shape(state: ApiState) -> None:
    state.store = BrokenStore()  # type: ignore[assignment]
    with TestClient(create_app(state, Keys(KEYS)), raise_server_exceptions=False) as client:
        failed = client.get("/v1/records/death_certificate/x", headers=as_("renshe"))
    assert "logged" in error_of(failed, 500, "internal")
