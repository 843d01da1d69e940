"""Broker security without a broker: principals, the access rules derived from the catalogue, the
secrets file, the secure broker's configuration and the refusal counter."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from kafka.errors import (
    GroupAuthorizationFailedError,
    KafkaTimeoutError,
    SaslAuthenticationFailedError,
    TransactionalIdAuthorizationFailedError,
)
from prometheus_client import CollectorRegistry

from exchange.core.access import access_rules, catalogue_nodes, namespace_prefixes
from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.directory import Node
from exchange.core.security import EXCHANGE, ClientSecurity, node_principal, principal_node
from exchange.core.topics import Topics
from exchange.errors import AuthorizationError, ConfigError
from exchange.kafka.broker_layout import BrokerLayout, server_properties
from exchange.kafka.refusals import refused
from exchange.kafka.secure import format_arguments
from exchange.runtime.metrics import Metrics, counting_refusals
from exchange.runtime.secrets import client_security, ensure_passwords, read_secrets
from exchange.runtime.settings import load_settings

TOPICS = Topics("gov")
A = Node("440106", "weijian")


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def test_the_value_object_maps_onto_librdkafka_and_hides_the_password() -> None:
    security = ClientSecurity.scram("node-440106-weijian", "s3cret")
    assert security.librdkafka() == {"security.protocol": "sasl_plaintext", "sasl.mechanism": "SCRAM-SHA-512",
                                     "sasl.username": "node-440106-weijian", "sasl.password": "s3cret"}
    assert "s3cret" not in repr(security)
    assert security.principal == "User:node-440106-weijian"
    assert ClientSecurity().librdkafka() == {"security.protocol": "plaintext"}
    with pytest.raises(ValueError, match="needs a mechanism"):
        ClientSecurity("SASL_PLAINTEXT", "SCRAM-SHA-512", "someone")
    with pytest.raises(ValueError, match="is not PLAINTEXT"):
        ClientSecurity("SSL")


def test_principal_names_round_trip_to_their_nodes() -> None:
    assert node_principal(A) == "node-440106-weijian"
    assert principal_node("node-440106-weijian") == A
    assert principal_node(EXCHANGE) is None and principal_node("node-44-x") is None


def test_a_node_may_write_only_what_it_provides_and_read_only_its_own_inbox(catalogue: Catalogue) -> None:
    rules = access_rules(catalogue.departments.values(), catalogue.resources.values(), TOPICS, "govx-exchange")
    mine = [rule for rule in rules if rule.principal == node_principal(A)]
    provided = {TOPICS.source(r.id) for r in catalogue.resources.values() if A.department in r.providers}
    assert provided and {r.name for r in mine if r.operation == "write"} == provided
    reads = {r.name for r in mine if r.operation == "read"}
    assert reads == {TOPICS.inbox(A), TOPICS.schemas, TOPICS.directory, TOPICS.node_group(A)}
    assert not any(rule.prefixed for rule in mine if rule.kind == "topic")
    assert not any(rule.kind == "transactional_id" for rule in mine)
    every_node = {node_principal(node) for node in catalogue_nodes(catalogue.departments.values())}
    sources = [r for r in rules if r.kind == "topic" and r.name.startswith("gov.src.") and r.operation == "read"]
    assert sources and not {r.principal for r in sources} & every_node  # no node reads raw sources


def test_the_exchange_writes_deliveries_in_transactions_under_its_own_prefix(catalogue: Catalogue) -> None:
    rules = access_rules(catalogue.departments.values(), catalogue.resources.values(), TOPICS, "govx-exchange")
    exchange = {(r.kind, r.name, r.operation, r.prefixed) for r in rules if r.principal == EXCHANGE}
    assert ("transactional_id", "govx-exchange", "write", True) in exchange
    assert ("group", "govx-exchange", "read", True) in exchange
    assert ("topic", "gov.dlv.", "write", True) in exchange and ("topic", "gov.src.", "read", True) in exchange
    assert ("cluster", "kafka-cluster", "idempotent_write", False) in exchange
    assert {name for kind, name, op, _ in exchange if kind == "topic" and op == "write"} == {
        "gov.dlv.", TOPICS.audit, TOPICS.dlq, TOPICS.schemas}


def test_provisioning_one_namespace_leaves_a_similarly_named_one_alone(catalogue: Catalogue) -> None:
    prefixes = namespace_prefixes(catalogue.departments.values(), TOPICS, "gov-x")
    assert "gov.src.death_certificate".startswith(prefixes)
    assert "gov-440106-weijian-receiver".startswith(prefixes)
    assert not "gov-2.src.death_certificate".startswith(prefixes)
    assert not "gov-2-440106-weijian".startswith(prefixes)


def test_the_secrets_file_is_private_and_keeps_existing_passwords(tmp_path: Path) -> None:
    path = tmp_path / "secrets.json"
    first = ensure_passwords(path, ["a", "b"])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = ensure_passwords(path, ["a", "b", "c"])
    assert again["a"] == first["a"] and again["b"] == first["b"] and len(again["c"]) >= 24
    assert read_secrets(path) == again and read_secrets(tmp_path / "none.json") == {}


def test_a_process_takes_its_principal_from_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "secrets.json"
    ensure_passwords(path, [EXCHANGE])
    monkeypatch.setenv("GOVX_SECURITY", "sasl")
    monkeypatch.setenv("GOVX_SECRETS_FILE", str(path))
    with pytest.raises(ConfigError, match="GOVX_PRINCIPAL"):
        client_security(load_settings())
    monkeypatch.setenv("GOVX_PRINCIPAL", EXCHANGE)
    assert client_security(load_settings()) == ClientSecurity.scram(EXCHANGE, read_secrets(path)[EXCHANGE])
    monkeypatch.setenv("GOVX_PRINCIPAL", "node-440106-weijian")
    with pytest.raises(ConfigError, match="no password for node-440106-weijian"):
        client_security(load_settings())
    monkeypatch.setenv("GOVX_SASL_PASSWORD", "given")
    assert client_security(load_settings()).password == "given"  # noqa: S105 - a test value


def test_the_secure_broker_listens_only_with_sasl_and_denies_by_default(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path, tmp_path, port=27094, controller_port=27095, secure=True)
    properties = dict(line.split("=", 1) for line in server_properties(layout).splitlines() if line)
    assert properties["listeners"] == "SASL_PLAINTEXT://127.0.0.1:27094,CONTROLLER://127.0.0.1:27095"
    assert "PLAINTEXT:PLAINTEXT" not in properties["listener.security.protocol.map"]
    assert properties["sasl.enabled.mechanisms"] == "SCRAM-SHA-512"
    assert properties["authorizer.class.name"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
    assert properties["allow.everyone.if.no.acl.found"] == "false"
    assert properties["super.users"] == "User:govx-broker;User:govx-admin"
    assert properties["log.dirs"] == str(layout.storage) and layout.home.name == "kafka-secure"
    arguments = format_arguments(layout)
    assert arguments.count("--add-scram") == 2
    assert any(a.startswith("SCRAM-SHA-512=[name=govx-admin,password=") for a in arguments)
    plaintext = server_properties(BrokerLayout(tmp_path, tmp_path))
    plain = dict(line.split("=", 1) for line in plaintext.splitlines() if line)
    assert "authorizer.class.name" not in plain and plain["listeners"].startswith("PLAINTEXT://")


def test_refusals_are_counted_by_operation_and_raised() -> None:
    metrics = Metrics(CollectorRegistry())
    with pytest.raises(AuthorizationError), counting_refusals(metrics):
        raise AuthorizationError("User:node-440106-weijian", "write", "topic gov.src.business_licence")
    sample = metrics.registry.get_sample_value("govx_authorization_failures_total", {"operation": "write"})
    assert sample == 1.0


def test_kafka_refusals_become_authorization_errors_naming_who_what_and_where() -> None:
    who = "User:node-440106-weijian"
    group = refused(GroupAuthorizationFailedError("g"), who, "read", "group gov-440106-gongan")
    assert group is not None and (group.principal, group.operation, group.resource) == (
        who, "read", "group gov-440106-gongan")
    txn = refused(TransactionalIdAuthorizationFailedError(), who, "use", "transactional id govx-exchange-0")
    assert txn is not None and txn.resource == "transactional id govx-exchange-0" and not txn.retriable
    sasl = refused(SaslAuthenticationFailedError("bad"), who, "connect to", "127.0.0.1:9092")
    assert sasl is not None and sasl.operation == "authenticate to" and sasl.resource == "127.0.0.1:9092"
    assert refused(KafkaTimeoutError(), who, "write", "topic x") is None
