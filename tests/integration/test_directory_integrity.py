"""The directory never loses, reverts or multiplies a decision — on the real broker (issue 10).

An outage (a broker of this test's own, stopped and started again), races between two API processes
on one directory, a poison grant written straight to the topic, duplicate grants, and look-ups that
must not leak whether a record exists.
"""

from __future__ import annotations

import gc
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from exchange.api.state import ApiState, Limits
from exchange.core.catalogue import Catalogue
from exchange.core.directory import ApplicationStatus, DirectoryEvent, Node
from exchange.core.directory_apply import DirectoryApplier, Verdict
from exchange.core.directory_view import DirectoryView
from exchange.core.events import build_event
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.kafka.client import Publisher, Reader
from exchange.kafka.directory_feed import publish
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import kafka_transport
from exchange.runtime.settings import Settings
from tests.integration.kafka_helpers import read_until, running_worker
from tests.integration.test_api_story import EDUCATION, KEYS, Deaths, until, wired_app
from tests.support import citizen_id, death_certificate

# kafka-python leaves the sockets of connections the stopped broker refused unclosed; the garbage
# collector finds them during whichever test of this module runs next: their warnings are ignored here
pytestmark = [pytest.mark.integration,
              pytest.mark.filterwarnings("ignore::ResourceWarning", "ignore::pytest.PytestUnraisableExceptionWarning")]
HEALTH_KEY, EDUCATION_KEY = {"X-Api-Key": KEYS["440000/weijian"]}, {"X-Api-Key": KEYS[EDUCATION.id]}
SOCIAL_KEY = {"X-Api-Key": KEYS["440106/renshe"]}
GRANT = "death-to-renshe@440106"
APPLY = {"resource": "death_certificate", "purpose": "注销学籍、停发助学金 / close student records",
         "fields": ["citizen_id", "name", "death_time", "region"], "scope": "own"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def api(bootstrap: str, topics: Topics, catalogue: Catalogue, limits: Limits | None = None) -> Iterator[TestClient]:
    app, link = wired_app(bootstrap, topics, catalogue, limits)
    try:
        with TestClient(app) as client:
            yield client
    finally:
        link.stop()


def log_verdicts(bootstrap: str, topics: Topics, catalogue: Catalogue) -> list[Verdict]:
    """What every reader decides about every event on the directory topic, replayed from the start."""
    reader = Reader(bootstrap, [topics.directory])
    verdicts: list[Verdict] = []
    try:
        DirectoryApplier(DirectoryView(catalogue.departments), on_verdict=verdicts.append).apply(reader.read_to_end())
    finally:
        reader.close()
    return verdicts


def provisioned(bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    """The exchange's topics, the seeded directory, and the two inboxes `Deaths` watches."""
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    admin = Admin(bootstrap)
    try:
        admin.ensure_topics(topics.inboxes([EDUCATION, Node("440106", "gongan")]))
    finally:
        admin.close()


def send_death(deaths: Deaths, division: str) -> str:
    """Publish a death certificate of `division`; the person's citizen ID."""
    record = death_certificate(division, person=citizen_id(division, 321))
    event = build_event(deaths.resource, deaths.schema, record, division=division, department="weijian",
                        at=datetime.now(UTC), rng=deaths.rng, topics=deaths.topics)
    deaths.publisher.send(event.topic, event.value, key=event.key, headers=event.headers)
    deaths.publisher.flush()
    return str(record["citizen_id"])


def lookups(usage: list[Any]) -> list[dict[str, Any]]:
    """The look-up usage records among usage records read from the audit topic."""
    records = [json.loads(m.value or b"{}") for m in usage]
    return [r for r in records if r.get("channel") == "lookup"]


def timed(call: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    return call(), time.monotonic() - started


# ── durable writes: the broker stops ────────────────────────────────────────────────────────

def test_a_revoke_during_an_outage_is_503_within_the_bound_and_never_applies(
        tmp_path: Path, settings: Settings, catalogue: Catalogue, topics: Topics) -> None:
    layout = replace(BrokerLayout.from_settings(settings), data_dir=tmp_path / "outage", port=free_port(),
                     controller_port=free_port(), heap="512m")
    broker = LocalBroker(layout)
    broker.up()
    bound = 2.0
    try:
        provision(kafka_transport(layout.bootstrap), topics, catalogue, partitions=1)
        with api(layout.bootstrap, topics, catalogue, Limits(write_timeout_s=bound)) as client:
            broker.down()
            revoked, took = timed(lambda: client.post(f"/v1/grants/{GRANT}/revoke", json={"reason": "目的已达成"},
                                                      headers=HEALTH_KEY))
            assert revoked.status_code == 503, revoked.text
            assert revoked.json()["error"]["code"] == "directory.unavailable" and revoked.headers["Retry-After"]
            assert took < bound + 1.0
            read, read_took = timed(lambda: client.get(f"/v1/grants/{GRANT}", headers=SOCIAL_KEY))
            assert read.status_code == 200 and read.json()["active"] is True and read_took < 1.0
            health, health_took = timed(lambda: client.get("/health"))
            assert health.status_code == 503 and health_took < 1.0
            broker.up()
            until(lambda: client.get("/health").status_code == 200, 60, "the API seeing the broker again")
            assert client.get(f"/v1/grants/{GRANT}", headers=SOCIAL_KEY).json()["active"] is True
            unavailable: list[str] = []  # the 503 codes answered while the API finds the broker again

            def revoke() -> Any:
                answer = client.post(f"/v1/grants/{GRANT}/revoke", json={"reason": "目的已达成"}, headers=HEALTH_KEY)
                if answer.status_code != 503:
                    return answer
                unavailable.append(answer.json()["error"]["code"])
                return None

            again = until(revoke, 60, "a revoke once the broker is back")
            if again.status_code == 409:  # allowed only after an "unconfirmed" 503: that write did land in time
                assert "directory.unconfirmed" in unavailable, (again.text, unavailable)
            else:
                assert again.status_code == 200 and again.json()["active"] is False, again.text
            assert client.get(f"/v1/grants/{GRANT}", headers=SOCIAL_KEY).json()["active"] is False
        view = read_directory(kafka_transport(layout.bootstrap), topics, catalogue)
        assert view.grant(GRANT).revoked and view.grant(GRANT).revoked_reason == "目的已达成"
        applied = [v for v in log_verdicts(layout.bootstrap, topics, catalogue) if v.event.type == "grant.revoked"]
        assert [v.outcome for v in applied].count("applied") == 1  # the 503'd one never applied, not even late
        with api(layout.bootstrap, topics, catalogue) as restarted:
            assert restarted.get(f"/v1/grants/{GRANT}", headers=SOCIAL_KEY).json()["active"] is False
    finally:
        broker.down()
        gc.collect()


# ── one order of truth: two API processes on one directory ──────────────────────────────────

def race(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls at the same moment in threads; their results in order."""
    start, results = threading.Barrier(len(calls)), [None] * len(calls)

    def run(n: int) -> None:
        start.wait(10)
        results[n] = calls[n]()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def test_approve_refuse_and_revoke_races_between_two_api_processes_have_one_winner(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    with api(bootstrap, topics, catalogue) as first, api(bootstrap, topics, catalogue) as second:
        application = first.post("/v1/applications", json=APPLY, headers=EDUCATION_KEY).json()
        path = f"/v1/applications/{application['id']}"
        until(lambda: second.get(path, headers=EDUCATION_KEY).status_code == 200, 20, "B reading the application")
        approved, refused = race(lambda: first.post(f"{path}/approve", json={}, headers=HEALTH_KEY),
                                 lambda: second.post(f"{path}/refuse", json={"reason": "用途不符"}, headers=HEALTH_KEY))
        assert sorted([approved.status_code, refused.status_code]) == [200, 409], (approved.text, refused.text)
        winner = "approved" if approved.status_code == 200 else "refused"
        for client in (first, second):
            until(lambda c=client: c.get(path, headers=EDUCATION_KEY).json()["status"] == winner, 20, "agreement")
        decisions = [v for v in log_verdicts(bootstrap, topics, catalogue)
                     if v.event.entity.id == application["id"] and v.event.type.endswith(("approved", "refused"))]
        assert [v.outcome for v in decisions].count("applied") == 1
        view = read_directory(kafka_transport(bootstrap), topics, catalogue)
        assert view.application(application["id"]).status is ApplicationStatus(winner)
        reason = {"reason": "不再需要"}
        revoked = race(lambda: first.post(f"/v1/grants/{GRANT}/revoke", json=reason, headers=HEALTH_KEY),
                       lambda: second.post(f"/v1/grants/{GRANT}/revoke", json=reason, headers=SOCIAL_KEY))
        assert sorted(r.status_code for r in revoked) == [200, 409], [r.text for r in revoked]
        revokes = [v for v in log_verdicts(bootstrap, topics, catalogue)
                   if v.event.key == f"grant/{GRANT}" and v.event.type == "grant.revoked"]
        assert [v.outcome for v in revokes].count("applied") == 1


def test_after_a_revoke_answers_200_the_grant_never_serves_a_lookup_again(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    """The reported defect: the API re-applied its own older events read back from Kafka over the revocation."""
    provisioned(bootstrap, topics, catalogue)
    deaths = Deaths(bootstrap, topics, catalogue)
    try:
        with api(bootstrap, topics, catalogue, Limits(lookups_per_minute=1_000_000)) as client:
            _, person = deaths.send()
            app_state: ApiState = client.app.state.govx  # type: ignore[attr-defined]
            until(lambda: app_state.store.get("death_certificate", person) is not None, 30, "the record stored")
            for _ in range(3):
                application = client.post("/v1/applications", json=APPLY, headers=EDUCATION_KEY).json()
                decided = client.post(f"/v1/applications/{application['id']}/approve", json={}, headers=HEALTH_KEY)
                grant = decided.json()["grant"]["id"]
                revoked = client.post(f"/v1/grants/{grant}/revoke", json={"reason": "不再需要"}, headers=HEALTH_KEY)
                assert revoked.status_code == 200 and revoked.json()["active"] is False, revoked.text
                watched_until = time.monotonic() + 2.0  # the window in which the old API read its writes back
                while time.monotonic() < watched_until:
                    lookup = client.get(f"/v1/records/death_certificate/{person}", headers=EDUCATION_KEY)
                    assert lookup.status_code == 403, lookup.text
                    assert client.get(f"/v1/grants/{grant}", headers=EDUCATION_KEY).json()["active"] is False
    finally:
        deaths.close()


# ── validated at the door, survived on read: a poison grant on the topic ────────────────────

def test_a_malformed_grant_written_to_the_topic_leaves_every_worker_running_and_is_dead_lettered_once(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=1)
    view = read_directory(kafka_transport(bootstrap), topics, catalogue)
    base = view.grant("death-to-gongan@440106")
    poison = replace(base, id="poison@449999", consumer=Node("449999", "gongan"))
    valid = replace(base, id="approved-jiaoyu@440106", consumer=EDUCATION)
    control = Publisher(bootstrap)
    try:
        publish(control, topics.directory, [DirectoryEvent("grant.issued", datetime.now(UTC), poison)])
        with ExitStack() as workers:
            running = [workers.enter_context(running_worker(bootstrap, topics, worker_id)) for worker_id in "12"]
            control.send(topics.directory, b"{not a directory event", key=b"grant/garbage")
            publish(control, topics.directory, [DirectoryEvent("grant.issued", datetime.now(UTC), valid)])
            for worker in running:
                until(lambda w=worker: valid.id in w.view.grants, 30, "the valid grant after the poison")
                assert poison.id not in worker.view.grants
            letters = read_until(bootstrap, topics.dlq, lambda m: len(m) >= 2, 60, settle_s=3.0)
        # leaving the block joined both workers and re-raised any crash: both ran until stopped
    finally:
        control.close()
    assert len(letters) == 2, [dict(m.headers).get("govx_source") for m in letters]
    headers = [dict(m.headers) for m in letters]
    assert {h["govx_error"] for h in headers} == {b"directory.invalid"}
    assert len({h["govx_source"] for h in headers}) == 2
    assert any(b"node.division" in h["govx_error_detail"] for h in headers)


# ── one active grant per consumer and resource ──────────────────────────────────────────────

def test_duplicate_subscriptions_yield_one_grant_and_duplicate_grants_one_delivery(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provisioned(bootstrap, topics, catalogue)
    body = {**APPLY, "resource": "enterprise_registration", "fields": ["*"]}
    with api(bootstrap, topics, catalogue) as client:
        answers = race(*(lambda: client.post("/v1/subscriptions", json=body, headers=EDUCATION_KEY)
                         for _ in range(5)))
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201], [a.text for a in answers]
    assert len({a.json()["id"] for a in answers}) == 1
    view = read_directory(kafka_transport(bootstrap), topics, catalogue)
    mine = [g.id for g in view.grants_on("enterprise_registration") if g.consumer == EDUCATION]
    assert mine == [answers[0].json()["id"]]
    base = view.grant("death-to-gongan@440106")
    twins = [replace(base, id=f"twin-{n}@440106", consumer=EDUCATION) for n in range(3)]
    control, deaths = Publisher(bootstrap), Deaths(bootstrap, topics, catalogue)
    try:
        publish(control, topics.directory, [DirectoryEvent("grant.issued", datetime.now(UTC), t) for t in twins])
        with running_worker(bootstrap, topics):
            sent = until(deaths.delivered, 30, "a delivery to the education bureau")
            inbox = read_until(bootstrap, topics.inbox(EDUCATION), lambda m: len(m) >= 1, 30, settle_s=3.0)
    finally:
        control.close()
        deaths.close()
    assert [dict(m.headers)["ce_id"].decode() for m in inbox].count(sent[0]) == 1
    assert len(inbox) == len({dict(m.headers)["ce_id"] for m in inbox})


# ── no look-up oracle ───────────────────────────────────────────────────────────────────────

def test_masked_subject_lookups_and_existence_probes_get_nothing(
        bootstrap: str, topics: Topics, catalogue: Catalogue) -> None:
    provisioned(bootstrap, topics, catalogue)
    deaths = Deaths(bootstrap, topics, catalogue)
    try:
        with api(bootstrap, topics, catalogue) as client:
            application = client.post("/v1/applications", json=APPLY, headers=EDUCATION_KEY).json()
            approved = client.post(f"/v1/applications/{application['id']}/approve",
                                   json={"masks": {"citizen_id": "id_keep_6_4"}}, headers=HEALTH_KEY)
            assert approved.status_code == 200, approved.text
            _, person = deaths.send()
            app_state: ApiState = client.app.state.govx  # type: ignore[attr-defined]
            until(lambda: app_state.store.get("death_certificate", person) is not None, 60, "the record stored")
            masked = client.get(f"/v1/records/death_certificate/{person}", headers=EDUCATION_KEY)
            assert masked.status_code == 403 and masked.json()["error"]["code"] == "lookup.masked_subject"
            far = send_death(deaths, "441802")  # 清城区: outside 440106/renshe's own-and-below grant
            until(lambda: app_state.store.get("death_certificate", far) is not None, 60, "the far record stored")
            absent = citizen_id("441802", 997)
            assert app_state.store.get("death_certificate", absent) is None
            probes = [client.get(f"/v1/records/death_certificate/{key}", headers=SOCIAL_KEY) for key in (far, absent)]
            assert [p.status_code for p in probes] == [404, 404]
            assert probes[0].json()["error"]["message"].replace(far, "K") == \
                probes[1].json()["error"]["message"].replace(absent, "K")
            assert probes[0].json()["error"]["code"] == probes[1].json()["error"]["code"]
            found = client.get(f"/v1/records/death_certificate/{person}", headers=SOCIAL_KEY)
            assert found.status_code == 200, found.text
            usage = read_until(bootstrap, topics.audit, lambda m: any(lookups(m)), 60)
            [record] = lookups(usage)
            assert record["caller"] == "440106/renshe" and [u["grant"] for u in record["usages"]] == [GRANT]
    finally:
        deaths.close()
