"""The Confluent-compatible schema registry without a broker: subjects, ids, error codes, auth."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry

from exchange.api.keys import Keys
from exchange.api.registry import MEDIA_TYPE, create_registry_app
from exchange.api.state import ApiState
from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.codec import SchemaRegistry
from exchange.core.directory import DirectoryEvent
from exchange.core.directory_view import DirectoryView
from exchange.runtime.metrics import Metrics
from govx.cli import main

CATALOGUE = load_catalogue()
NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
KEYS = {"440303/weijian": "weijian-luohu-0123456789abcdef", "440303/gongan": "gongan-luohu-0123456789abcdef"}
SOURCE = "gov.src.death_certificate-value"
DEATH_ID = SchemaRegistry().register(CATALOGUE.resources["death_certificate"].definition).id


def basic(node: str, key: str | None = None) -> dict[str, str]:
    token = base64.b64encode(f"{node}:{key or KEYS[node]}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture(scope="module")
def state() -> ApiState:
    current = ApiState(CATALOGUE.departments, publish=lambda events: None, metrics=Metrics(CollectorRegistry()),
                       clock=lambda: NOW)
    current.apply(seed_events(CATALOGUE, DirectoryView(CATALOGUE.departments), NOW))
    return current


@pytest.fixture(scope="module")
def client(state: ApiState) -> Iterator[TestClient]:
    with TestClient(create_registry_app(state, Keys(KEYS))) as test_client:
        yield test_client


def exchange_schema() -> dict[str, Any]:
    return dict(CATALOGUE.resources["death_certificate"].definition)


def body(schema: Any) -> dict[str, str]:
    return {"schema": json.dumps(schema)}


def test_subjects_follow_topic_and_record_names(client: TestClient) -> None:
    answer = client.get("/subjects")
    assert answer.status_code == 200 and answer.headers["content-type"] == MEDIA_TYPE
    subjects = answer.json()
    assert {SOURCE, "gov.health.DeathCertificate", "gov.health.view.DeathCertificate"} <= set(subjects)
    assert len([s for s in subjects if s.endswith("-value")]) == len(CATALOGUE.resources)


def test_the_source_subject_holds_the_exchanges_schema_under_its_own_id(client: TestClient) -> None:
    latest = client.get(f"/subjects/{SOURCE}/versions/latest").json()
    assert (latest["subject"], latest["version"], latest["id"]) == (SOURCE, 1, DEATH_ID)
    assert json.loads(latest["schema"])["name"] == "gov.health.DeathCertificate"
    assert client.get(f"/subjects/{SOURCE}/versions").json() == [1]
    assert client.get(f"/schemas/ids/{DEATH_ID}").json()["schema"] == latest["schema"]
    assert client.get(f"/schemas/ids/{DEATH_ID}/schema").json()["name"] == "gov.health.DeathCertificate"
    assert SOURCE in client.get(f"/schemas/ids/{DEATH_ID}/subjects").json()


def test_every_view_schema_of_the_grants_is_served_by_its_id(client: TestClient, state: ApiState) -> None:
    rules = state.rules.get("death_certificate")
    assert rules is not None
    view_ids = {route.view.schema.id for route in rules.routes if route.view.schema is not None}
    assert len(view_ids) > 1
    versions = client.get("/subjects/gov.health.view.DeathCertificate/versions").json()
    served = {client.get(f"/subjects/gov.health.view.DeathCertificate/versions/{v}").json()["id"] for v in versions}
    assert served == view_ids
    for schema_id in view_ids:
        schema = json.loads(client.get(f"/schemas/ids/{schema_id}").json()["schema"])
        assert schema["name"] == "gov.health.view.DeathCertificate"
        assert SchemaRegistry().register(schema).id == schema_id  # the id derives from what is served


@pytest.mark.parametrize(
    ("path", "status", "code"),
    [
        ("/subjects/gov.src.nothing-value/versions", 404, 40401),
        (f"/subjects/{SOURCE}/versions/2", 404, 40402),
        (f"/subjects/{SOURCE}/versions/abc", 422, 42202),
        (f"/subjects/{SOURCE}/versions/0", 422, 42202),
        ("/schemas/ids/1", 404, 40403),
        ("/schemas/ids/x", 404, 40403),
        ("/config/gov.src.nothing-value", 404, 40401),
    ],
)
def test_reads_fail_with_confluents_error_codes(client: TestClient, path: str, status: int, code: int) -> None:
    answer = client.get(path)
    assert (answer.status_code, answer.json()["error_code"]) == (status, code)
    assert answer.json()["message"] and answer.json()["error"]["message"] == answer.json()["message"]
    assert answer.headers["content-type"] == MEDIA_TYPE


def test_registering_answers_the_existing_id_for_the_exchanges_schema(client: TestClient) -> None:
    stripped = {k: v for k, v in exchange_schema().items() if k != "doc"}  # same canonical form
    answer = client.post(f"/subjects/{SOURCE}/versions", json=body(stripped), headers=basic("440303/weijian"))
    assert answer.status_code == 200 and answer.json()["id"] == DEATH_ID


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, 40101),
        (basic("440303/weijian", "not-a-key-0123456789abcdefgh"), 40101),
        (basic("440303/gongan", KEYS["440303/weijian"]), 40101),  # another node's key
        (basic("440303/gongan"), 40301),  # 公安 does not provide death certificates
    ],
)
def test_registering_needs_a_providers_credential(client: TestClient, headers: dict[str, str], code: int) -> None:
    answer = client.post(f"/subjects/{SOURCE}/versions", json=body(exchange_schema()), headers=headers)
    assert answer.json()["error_code"] == code and answer.status_code == code // 100


def test_any_other_schema_is_refused(client: TestClient) -> None:
    changed = exchange_schema()
    changed["fields"] = [*changed["fields"], {"name": "extra", "type": ["null", "string"], "default": None}]
    answer = client.post(f"/subjects/{SOURCE}/versions", json=body(changed), headers=basic("440303/weijian"))
    assert (answer.status_code, answer.json()["error_code"]) == (409, 409)
    invalid = client.post(f"/subjects/{SOURCE}/versions", json={"schema": "{not json"},
                          headers=basic("440303/weijian"))
    assert (invalid.status_code, invalid.json()["error_code"]) == (422, 42201)
    unknown_type = client.post(f"/subjects/{SOURCE}/versions", json=body({"type": "nope"}),
                               headers=basic("440303/weijian"))
    assert unknown_type.json()["error_code"] == 42201
    protobuf = client.post(f"/subjects/{SOURCE}/versions", headers=basic("440303/weijian"),
                           json={"schema": "syntax = \"proto3\";", "schemaType": "PROTOBUF"})
    assert protobuf.json()["error_code"] == 42201


def test_lookup_and_compatibility(client: TestClient) -> None:
    found = client.post(f"/subjects/{SOURCE}", json=body(exchange_schema()))
    assert found.status_code == 200 and (found.json()["id"], found.json()["version"]) == (DEATH_ID, 1)
    missing = client.post(f"/subjects/{SOURCE}", json=body({"type": "record", "name": "X", "fields": []}))
    assert (missing.status_code, missing.json()["error_code"]) == (404, 40403)
    same = client.post(f"/compatibility/subjects/{SOURCE}/versions/latest", json=body(exchange_schema()))
    assert same.json() == {"is_compatible": True, "messages": []}
    other = client.post(f"/compatibility/subjects/{SOURCE}/versions/latest", json=body({"type": "string"}))
    assert other.json()["is_compatible"] is False and other.json()["messages"]


def test_config_and_changes_that_govx_does_not_take(client: TestClient) -> None:
    assert client.get("/config").json() == {"compatibilityLevel": "FULL"}
    assert client.get("/schemas/types").json() == ["AVRO"]
    deleted = client.delete(f"/subjects/{SOURCE}")
    assert (deleted.status_code, deleted.json()["error_code"]) == (405, 405)


def test_a_grant_issued_later_gets_its_view_schema_served() -> None:
    current = ApiState(CATALOGUE.departments, publish=lambda events: None, metrics=Metrics(CollectorRegistry()),
                       clock=lambda: NOW)
    current.apply(seed_events(CATALOGUE, DirectoryView(CATALOGUE.departments), NOW))
    with TestClient(create_registry_app(current, Keys(KEYS))) as fresh:
        before = fresh.get("/subjects/gov.health.view.DeathCertificate/versions").json()
        template = current.view.grants["death-to-gongan@440303"]
        masked = replace(template, id="death-masked@440303",
                         masks=(("birth_date", "date_year"), ("informant_name", "name_surname")))  # a new type
        current.apply([DirectoryEvent("grant.issued", NOW, masked)])
        after = fresh.get("/subjects/gov.health.view.DeathCertificate/versions").json()
        assert len(after) == len(before) + 1
        rules = current.rules.get("death_certificate")
        assert rules is not None
        new_id = next(r.view.schema.id for r in rules.routes if r.grant == masked.id and r.view.schema is not None)
        served = json.loads(fresh.get(f"/schemas/ids/{new_id}").json()["schema"])
        assert next(f for f in served["fields"] if f["name"] == "birth_date")["type"] == "string"


def test_the_registry_command_needs_the_keys_file(monkeypatch: pytest.MonkeyPatch,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("GOVX_API_KEYS_FILE", raising=False)
    assert main(["registry"]) == 2
    assert "GOVX_API_KEYS_FILE" in capsys.readouterr().err
