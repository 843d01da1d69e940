"""The directory and lookup API without a broker: every status, who may do what, and the lookup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from exchange.api.app import create_app
from exchange.api.keys import Keys
from exchange.api.state import ApiState
from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.directory_view import DirectoryView
from exchange.core.events import build_event
from exchange.runtime.metrics import Metrics
from tests.support import citizen_id, death_certificate
from tests.unit.loopback import Loopback

CATALOGUE = load_catalogue()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # a Friday
NODES = {"renshe": "440106/renshe", "weijian": "440000/weijian", "gongan": "440106/gongan",
         "jiaoyu": "440106/jiaoyu", "scjg": "440000/scjg", "far_renshe": "441802/renshe", "shuiwu": "440106/shuiwu"}
KEYS = {node: f"key-for-{name}-0123456789abcdef" for name, node in NODES.items()}


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def loop() -> Loopback:
    return Loopback()


@pytest.fixture
def state(clock: Clock, loop: Loopback) -> ApiState:
    current = ApiState(CATALOGUE.departments, publish=loop.publish, usage=loop.usage,
                       metrics=Metrics(CollectorRegistry()), clock=clock)
    loop.state = current
    loop.append(seed_events(CATALOGUE, DirectoryView(CATALOGUE.departments), NOW))
    return current


@pytest.fixture
def client(state: ApiState) -> Iterator[TestClient]:
    with TestClient(create_app(state, Keys(KEYS))) as test_client:
        yield test_client


def as_(name: str) -> dict[str, str]:
    return {"X-Api-Key": KEYS[NODES[name]]}


def error_of(response: Any, status: int, code: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["code"] == code
    message: str = body["error"]["message"]
    assert message
    return message


APPLY = {"resource": "death_certificate", "purpose": "停发死亡人员养老金", "scope": "own",
         "fields": ["citizen_id", "name", "death_time", "region", "informant_phone"]}


# ── who is calling ───────────────────────────────────────────────────────────────────────────

@pytest.mark.parametrize(("method", "path"), [("get", "/v1/resources"), ("get", "/v1/resources/death_certificate"),
                                              ("post", "/v1/applications"), ("get", "/v1/grants"),
                                              ("get", "/v1/records/death_certificate/x"), ("get", "/v1/schemas/1")])
def test_no_key_or_an_unknown_key_is_401(client: TestClient, method: str, path: str) -> None:
    error_of(getattr(client, method)(path), 401, "unauthorized")
    error_of(getattr(client, method)(path, headers={"X-Api-Key": "not-a-key-of-anyone-at-all"}), 401, "unauthorized")


def test_keys_must_be_long_enough() -> None:
    from exchange.errors import ConfigError

    with pytest.raises(ConfigError, match="shorter"):
        Keys({"440106/renshe": "short"})


# ── catalogue ────────────────────────────────────────────────────────────────────────────────

def test_the_catalogue_lists_searches_and_pages(client: TestClient) -> None:
    everything = client.get("/v1/resources", headers=as_("renshe")).json()
    assert everything["total"] == len(CATALOGUE.resources)
    deaths = client.get("/v1/resources?q=死亡", headers=as_("renshe")).json()["items"]
    assert "death_certificate" in {r["id"] for r in deaths}
    assert all("死亡" in CATALOGUE.resources[r["id"]].name + CATALOGUE.resources[r["id"]].abstract for r in deaths)
    assert len(deaths) < len(CATALOGUE.resources)
    by_code = client.get("/v1/resources", params={"code": CATALOGUE.resources["tax_registration"].code},
                         headers=as_("renshe")).json()
    assert [r["id"] for r in by_code["items"]] == ["tax_registration"]
    none = client.get("/v1/resources?sharing=none", headers=as_("renshe")).json()
    assert [r["id"] for r in none["items"]] == ["infectious_disease_report"]
    assert {r["id"] for r in client.get("/v1/resources?provider=zrzy", headers=as_("renshe")).json()["items"]} >= {
        "administrative_licence", "administrative_penalty"}
    assert client.get("/v1/resources?classification=人口", headers=as_("renshe")).json()["total"] >= 3
    second = client.get("/v1/resources?size=4&page=2", headers=as_("renshe")).json()
    assert len(second["items"]) == 4 and second["items"][0] == everything["items"][4]


def test_one_resource_has_its_items_and_schema(client: TestClient) -> None:
    detail = client.get("/v1/resources/death_certificate", headers=as_("renshe")).json()
    items = {i["name"]: i for i in detail["items"]}
    assert items["cause_of_death"]["sensitivity"] == "L4" and items["citizen_id"]["identifier"] == "citizen_id"
    assert detail["avro_schema"]["name"] == "gov.health.DeathCertificate" and detail["owner"] == "440000/weijian"
    schema = client.get(f"/v1/schemas/{detail['schema_id']}", headers=as_("renshe")).json()
    assert schema["name"] == "gov.health.DeathCertificate"


def test_unknowns_are_404(client: TestClient) -> None:
    error_of(client.get("/v1/resources/unicorns", headers=as_("renshe")), 404, "not_found")
    error_of(client.get("/v1/schemas/12345", headers=as_("renshe")), 404, "not_found")
    error_of(client.get("/v1/applications/app-nothing", headers=as_("renshe")), 404, "not_found")
    error_of(client.get("/v1/grants/grant-nothing", headers=as_("renshe")), 404, "not_found")
    error_of(client.get("/v1/nowhere", headers=as_("renshe")), 404, "not_found")


@pytest.mark.parametrize("query", ["page=0", "size=1000", "sharing=sometimes", "page=x"])
def test_malformed_queries_are_422(client: TestClient, query: str) -> None:
    error_of(client.get(f"/v1/resources?{query}", headers=as_("renshe")), 422, "request.invalid")


# ── applications and approvals ───────────────────────────────────────────────────────────────

def test_an_application_waits_ten_working_days_and_is_published(client: TestClient, loop: Loopback) -> None:
    seeded = len(loop.log)
    created = client.post("/v1/applications", json=APPLY, headers=as_("renshe"))
    assert created.status_code == 201, created.text
    application = created.json()
    assert application["status"] == "pending" and application["consumer"] == "440106/renshe"
    assert application["deadline"] == "2026-12-04"  # Friday + 10 working days
    assert [e.type for e in loop.events()[seeded:]] == ["application.submitted"]
    listed = client.get("/v1/applications?role=provider", headers=as_("weijian")).json()
    assert [a["id"] for a in listed] == [application["id"]]
    assert client.get("/v1/applications", headers=as_("gongan")).json() == []


@pytest.mark.parametrize(("body", "status", "code"), [
    ({**APPLY, "resource": "infectious_disease_report", "fields": ["*"]}, 422, "sharing.none"),
    ({**APPLY, "resource": "enterprise_registration", "fields": ["*"]}, 409, "conflict"),
    ({**APPLY, "resource": "unicorns"}, 404, "not_found"),
    ({**APPLY, "fields": ["citizen_id", "shoe_size"]}, 422, "field.unknown"),
    ({**APPLY, "fields": ["name", "death_time"]}, 422, "field.subject"),
    ({k: v for k, v in APPLY.items() if k != "purpose"}, 422, "request.invalid"),
    ({**APPLY, "purpose": "   x   "}, 422, "request.invalid"),
    ({**APPLY, "scope": "galaxy"}, 422, "request.invalid"),
    ({**APPLY, "fields": ["*", "name"]}, 422, "request.invalid"),
    ({**APPLY, "colour": "blue"}, 422, "request.invalid"),
])
def test_applications_that_break_the_rules_are_refused(client: TestClient, body: dict[str, Any], status: int,
                                                        code: str) -> None:
    error_of(client.post("/v1/applications", json=body, headers=as_("renshe")), status, code)


def test_a_provider_cannot_apply_for_its_own_resource(client: TestClient) -> None:
    error_of(client.post("/v1/applications", json=APPLY, headers=as_("weijian")), 409, "conflict")


def test_only_the_provider_decides_and_may_narrow_but_not_widen(client: TestClient) -> None:
    application = client.post("/v1/applications", json=APPLY, headers=as_("jiaoyu")).json()
    path = f"/v1/applications/{application['id']}"
    error_of(client.post(f"{path}/approve", json={}, headers=as_("gongan")), 403, "forbidden")
    error_of(client.post(f"{path}/approve", json={}, headers=as_("jiaoyu")), 403, "forbidden")
    error_of(client.post(f"{path}/approve", json={"fields": [*APPLY["fields"], "cause_of_death"]},
                         headers=as_("weijian")), 422, "directory.invalid")
    error_of(client.post(f"{path}/approve", json={"scope": "province"}, headers=as_("weijian")), 422,
             "directory.invalid")
    error_of(client.post(f"{path}/approve", json={"masks": {"name": "blur"}}, headers=as_("weijian")), 422,
             "grant.mask")
    approved = client.post(f"{path}/approve", json={"fields": ["citizen_id", "name", "death_time", "region"],
                                                    "masks": {"name": "name_surname"}}, headers=as_("weijian"))
    assert approved.status_code == 200, approved.text
    decision = approved.json()
    assert decision["application"]["status"] == "approved"
    assert decision["grant"]["fields"] == ["citizen_id", "name", "death_time", "region"]
    assert decision["grant"]["masks"] == {"name": "name_surname"} and decision["grant"]["origin"] == "approval"
    error_of(client.post(f"{path}/approve", json={}, headers=as_("weijian")), 409, "conflict")
    error_of(client.post(f"{path}/refuse", json={"reason": "too late"}, headers=as_("weijian")), 409, "conflict")


def test_a_refusal_needs_a_reason(client: TestClient) -> None:
    application = client.post("/v1/applications", json=APPLY, headers=as_("renshe")).json()
    path = f"/v1/applications/{application['id']}/refuse"
    error_of(client.post(path, json={}, headers=as_("weijian")), 422, "request.invalid")
    error_of(client.post(path, json={"reason": "  "}, headers=as_("weijian")), 422, "request.invalid")
    refused = client.post(path, json={"reason": "用途不符合共享条件"}, headers=as_("weijian")).json()
    assert refused["application"]["status"] == "refused" and refused["application"]["reason"] == "用途不符合共享条件"


def test_a_department_sees_only_its_own_applications(client: TestClient) -> None:
    application = client.post("/v1/applications", json=APPLY, headers=as_("renshe")).json()
    path = f"/v1/applications/{application['id']}"
    assert client.get(path, headers=as_("renshe")).status_code == 200
    assert client.get(path, headers=as_("weijian")).status_code == 200
    error_of(client.get(path, headers=as_("gongan")), 403, "forbidden")


def test_overdue_applications_are_visible_and_counted(client: TestClient, clock: Clock, state: ApiState) -> None:
    client.post("/v1/applications", json=APPLY, headers=as_("renshe"))
    clock.now = NOW + timedelta(days=15)
    overdue = client.get("/v1/applications?role=provider&overdue=true", headers=as_("weijian")).json()
    assert len(overdue) == 1 and overdue[0]["overdue"] is True
    state.refresh_gauges()
    assert state.metrics.registry.get_sample_value("govx_applications_overdue") == 1.0
    assert state.metrics.registry.get_sample_value("govx_applications_pending") == 1.0


# ── subscriptions and grants ─────────────────────────────────────────────────────────────────

def test_unconditional_resources_are_subscribed_without_approval(client: TestClient) -> None:
    body = {**APPLY, "resource": "enterprise_registration", "fields": ["*"], "scope": "own_and_below"}
    grant = client.post("/v1/subscriptions", json=body, headers=as_("jiaoyu"))
    assert grant.status_code == 201, grant.text
    assert grant.json()["origin"] == "subscription" and grant.json()["active"] is True
    error_of(client.post("/v1/subscriptions", json=APPLY, headers=as_("jiaoyu")), 409, "conflict")


def test_grants_received_and_given_and_revocation(client: TestClient) -> None:
    received = client.get("/v1/grants", headers=as_("renshe")).json()
    assert received and all(g["consumer"] == "440106/renshe" for g in received)
    given = client.get("/v1/grants?role=given", headers=as_("weijian")).json()
    assert given and {g["resource"] for g in given} <= {"death_certificate", "birth_certificate"}
    grant_id = next(g["id"] for g in received if g["resource"] == "death_certificate")
    error_of(client.post(f"/v1/grants/{grant_id}/revoke", json={"reason": "x" * 3}, headers=as_("gongan")), 403,
             "forbidden")
    error_of(client.get(f"/v1/grants/{grant_id}", headers=as_("gongan")), 403, "forbidden")
    revoked = client.post(f"/v1/grants/{grant_id}/revoke", json={"reason": "no longer needed"},
                          headers=as_("weijian")).json()
    assert revoked["revoked_reason"] == "no longer needed" and revoked["active"] is False
    error_of(client.post(f"/v1/grants/{grant_id}/revoke", json={"reason": "again"}, headers=as_("renshe")), 409,
             "conflict")


# ── record lookup ────────────────────────────────────────────────────────────────────────────

def _store_death(state: ApiState, region: str, sequence: int) -> dict[str, Any]:
    import random

    record = death_certificate(region, person=citizen_id(region, sequence))
    resource = state.view.resource("death_certificate")
    event = build_event(resource, state.rules.registry.register(resource.definition), record, division=region,
                        department="weijian", at=NOW, rng=random.Random(sequence))
    assert state.store.apply(event.as_message())
    return record


def test_a_lookup_returns_the_record_as_the_grant_says(client: TestClient, state: ApiState) -> None:
    record = _store_death(state, "440106", 7)
    found = client.get(f"/v1/records/death_certificate/{record['citizen_id']}", headers=as_("renshe"))
    assert found.status_code == 200, found.text
    body = found.json()
    grant = state.view.grant(body["grant"])
    assert grant.consumer.id == "440106/renshe"
    allowed = {f for f in grant.fields} - {n for n, p in grant.masks if p == "drop"}
    assert set(body["record"]) == allowed
    assert "cause_of_death" not in body["record"]
    for name, _ in grant.masks:
        if name in body["record"]:
            assert body["record"][name] != str(record[name])
    assert body["record"]["citizen_id"] == record["citizen_id"]


def test_lookups_outside_the_grant_are_refused(client: TestClient, state: ApiState) -> None:
    near, far = _store_death(state, "440106", 8), _store_death(state, "441802", 9)
    error_of(client.get(f"/v1/records/death_certificate/{near['citizen_id']}", headers=as_("jiaoyu")), 403,
             "forbidden")
    out_of_scope = client.get(f"/v1/records/death_certificate/{far['citizen_id']}", headers=as_("renshe"))
    absent = client.get(f"/v1/records/death_certificate/{citizen_id('441802', 10)}", headers=as_("renshe"))
    error_of(out_of_scope, 404, "not_found")
    assert (absent.status_code, absent.json()["error"]["code"]) == (404, "not_found")
    assert out_of_scope.json()["error"]["message"].replace(far["citizen_id"], "K") == \
        absent.json()["error"]["message"].replace(citizen_id("441802", 10), "K")
    assert out_of_scope.headers.keys() == absent.headers.keys()
    error_of(client.get("/v1/records/unicorns/1", headers=as_("renshe")), 404, "not_found")
    error_of(client.get("/v1/records/infectious_disease_report/1", headers=as_("renshe")), 403, "forbidden")


def test_invalid_events_never_enter_the_store(state: ApiState) -> None:
    record = death_certificate("440106", person=citizen_id("440106", 10))
    record["citizen_id"] = record["citizen_id"][:-1] + ("0" if record["citizen_id"][-1] != "0" else "1")
    resource = state.view.resource("death_certificate")
    import random

    event = build_event(resource, state.rules.registry.register(resource.definition), record, division="440106",
                        department="weijian", at=NOW, rng=random.Random(1))
    assert state.store.apply(event.as_message()) is False
    assert state.store.get("death_certificate", record["citizen_id"]) is None


# ── operations ───────────────────────────────────────────────────────────────────────────────

def test_health_and_metrics(client: TestClient) -> None:
    health = client.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    client.get("/v1/resources", headers=as_("renshe"))
    metrics = client.get("/metrics").text
    assert 'govx_api_requests_total{route="/v1/resources",status="2xx"}' in metrics


def test_the_openapi_document_has_examples_and_the_error_shape(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    assert schemas["ApplicationIn"]["examples"] and schemas["ErrorOut"]["examples"]
    assert "401" in document["paths"]["/v1/applications"]["post"]["responses"]
    assert date.fromisoformat("2026-12-04")
