"""The secure broker: each department node authenticates as itself and reaches only its own topics.

Runs on the session's secure broker (`secure_cluster`), provisioned once for this module's namespace.
"""

from __future__ import annotations

import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from exchange.core.access import AccessRule
from exchange.core.catalogue import Catalogue
from exchange.core.directory import Node
from exchange.core.message import Message
from exchange.core.security import API, EXCHANGE, ClientSecurity, node_principal
from exchange.core.topics import Topics
from exchange.errors import AuthorizationError
from exchange.kafka.access import to_acl
from exchange.kafka.admin import Admin
from exchange.kafka.client import Publisher, Reader, Subscriber, TransactionalPublisher
from exchange.kafka.principals import provision_principals, rotate_password
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import kafka_transport
from exchange.runtime.secrets import read_secrets
from tests.integration.conftest import SecureCluster

pytestmark = pytest.mark.integration
A, B, C = Node("440106", "weijian"), Node("440106", "gongan"), Node("440106", "minzheng")
EXCHANGE_GROUP = "sec-exchange"


@dataclass(frozen=True)
class Secured:
    """One provisioned namespace on the secure broker."""

    cluster: SecureCluster
    topics: Topics
    catalogue: Catalogue

    def who(self, principal: str, password: str | None = None) -> ClientSecurity:
        return ClientSecurity.scram(principal, password or read_secrets(self.cluster.secrets)[principal])

    def node(self, node: Node, password: str | None = None) -> ClientSecurity:
        return self.who(node_principal(node), password)

    def source(self, node: Node, *, provided: bool) -> str:
        """A source topic of a resource `node`'s department provides (or does not)."""
        resource = next(r for r in sorted(self.catalogue.resources.values(), key=lambda r: r.id)
                        if (node.department in r.providers) == provided)
        return self.topics.source(resource.id)

    def provision(self) -> tuple[int, int, int, int]:
        report = provision_principals(self.cluster.bootstrap, self.cluster.admin, self.cluster.secrets,
                                      self.catalogue, self.topics, EXCHANGE_GROUP)
        return report.users_created, report.acls_created, report.acls_unchanged, report.acls_removed

    def admin(self) -> Admin:
        return Admin(self.cluster.bootstrap, security=self.cluster.admin)


@pytest.fixture(scope="module")
def secured(secure_cluster: SecureCluster, catalogue: Catalogue) -> Iterator[Secured]:
    secured = Secured(secure_cluster, Topics(f"s{uuid.uuid4().hex[:10]}"), catalogue)
    secured.provision()
    provision(kafka_transport(secure_cluster.bootstrap, secure_cluster.admin), secured.topics, catalogue, partitions=1)
    admin = secured.admin()
    try:
        admin.ensure_topics(secured.topics.inboxes([A, B]))
    finally:
        admin.close()
    yield secured


def _publish(bootstrap: str, security: ClientSecurity, topic: str, value: bytes) -> None:
    publisher = Publisher(bootstrap, security=security)
    try:
        publisher.send(topic, value, key=b"k")
        publisher.flush(10)
    finally:
        publisher.close()


def _read_all(bootstrap: str, security: ClientSecurity, topic: str) -> list[Message]:
    reader = Reader(bootstrap, [topic], security=security)
    try:
        return reader.read_to_end(20)
    finally:
        reader.close()


def _poll_until(subscriber: Subscriber, value: bytes, timeout_s: float = 30.0) -> list[Message]:
    deadline, seen = time.monotonic() + timeout_s, list[Message]()
    while not any(message.value == value for message in seen):
        assert time.monotonic() < deadline, f"{value!r} did not arrive within {timeout_s}s"
        seen += subscriber.poll(200)
    return seen


def test_a_wrong_password_is_refused_naming_the_principal(secured: Secured) -> None:
    with pytest.raises(AuthorizationError) as refused:
        Admin(secured.cluster.bootstrap, security=secured.node(A, "not-the-password"))
    assert refused.value.principal == f"User:{node_principal(A)}"
    assert refused.value.operation == "authenticate to"
    assert "invalid credentials" in str(refused.value)
    assert not refused.value.retriable


def test_a_node_reads_its_own_inbox_in_its_own_group_and_no_other_inbox(secured: Secured) -> None:
    bootstrap, topics = secured.cluster.bootstrap, secured.topics
    _publish(bootstrap, secured.cluster.admin, topics.inbox(A), b"for A")
    _publish(bootstrap, secured.cluster.admin, topics.inbox(B), b"for B")
    own = Subscriber(bootstrap, rf"^{topics.inbox(A)}$", f"{topics.node_group(A)}-test", security=secured.node(A))
    try:
        assert {m.topic for m in _poll_until(own, b"for A")} == {topics.inbox(A)}
    finally:
        own.close()
    with pytest.raises(AuthorizationError) as refused:
        _read_all(bootstrap, secured.node(A), topics.inbox(B))
    assert (refused.value.principal, refused.value.operation) == (f"User:{node_principal(A)}", "read")
    assert refused.value.resource == f"topic {topics.inbox(B)}"
    assert _read_all(bootstrap, secured.node(B), topics.inbox(B))[0].value == b"for B"


def test_a_node_may_not_read_its_inbox_in_a_group_outside_its_prefix(secured: Secured) -> None:
    topics = secured.topics
    foreign = Subscriber(secured.cluster.bootstrap, rf"^{topics.inbox(A)}$", topics.node_group(B),
                         security=secured.node(A))
    try:
        with pytest.raises(AuthorizationError) as refused:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                foreign.poll(200)
    finally:
        foreign.close()
    assert refused.value.principal == f"User:{node_principal(A)}"
    assert topics.node_group(B) in refused.value.resource


def test_a_node_writes_the_sources_it_provides_and_reads_none(secured: Secured) -> None:
    bootstrap = secured.cluster.bootstrap
    own, other = secured.source(A, provided=True), secured.source(A, provided=False)
    _publish(bootstrap, secured.node(A), own, b"A's own record")
    assert [m.value for m in _read_all(bootstrap, secured.who(EXCHANGE), own)] == [b"A's own record"]
    with pytest.raises(AuthorizationError) as read:
        _read_all(bootstrap, secured.node(A), own)
    assert (read.value.operation, read.value.resource) == ("read", f"topic {own}")
    with pytest.raises(AuthorizationError) as written:
        _publish(bootstrap, secured.node(A), other, b"not A's resource")
    assert (written.value.principal, written.value.operation) == (f"User:{node_principal(A)}", "write")
    assert other in written.value.resource
    assert _read_all(bootstrap, secured.cluster.admin, other) == []


def test_only_the_exchange_may_use_the_exchanges_transactional_ids(secured: Secured) -> None:
    transactional_id = f"{EXCHANGE_GROUP}-0"
    with pytest.raises(AuthorizationError) as refused:
        TransactionalPublisher(secured.cluster.bootstrap, transactional_id, security=secured.node(A))
    assert refused.value.principal == f"User:{node_principal(A)}"
    assert f"transactional id {transactional_id}" in refused.value.resource
    exchange = TransactionalPublisher(secured.cluster.bootstrap, transactional_id, security=secured.who(EXCHANGE))
    exchange.close()


def test_provisioning_again_changes_nothing_and_removes_an_ACL_nobody_asked_for(secured: Secured) -> None:
    users, created, unchanged, removed = secured.provision()
    assert (users, created, removed) == (0, 0, 0)
    assert unchanged > 1000  # every rule of the namespace was already there
    stray = AccessRule(node_principal(A), "topic", secured.topics.inbox(B), "read")
    admin = secured.admin()
    try:
        admin.client.create_acls([to_acl(stray)])
    finally:
        admin.close()
    users, created, _, removed = secured.provision()
    assert (users, created, removed) == (0, 0, 1)
    with pytest.raises(AuthorizationError):
        _read_all(secured.cluster.bootstrap, secured.node(A), secured.topics.inbox(B))


def test_a_rotated_password_replaces_the_old_one(secured: Secured) -> None:
    old = secured.node(C)
    rotate_password(secured.cluster.bootstrap, secured.cluster.admin, secured.cluster.secrets, node_principal(C))
    new = secured.node(C)
    assert new.password != old.password
    with pytest.raises(AuthorizationError):
        Admin(secured.cluster.bootstrap, security=old)
    Admin(secured.cluster.bootstrap, security=new).close()


def test_a_department_posing_as_the_exchange_is_refused_by_name(secured: Secured,
                                                                 env_without_govx: dict[str, str]) -> None:
    env = {**env_without_govx, **secured.cluster.env, "GOVX_PRINCIPAL": node_principal(A),
           "GOVX_TOPIC_NAMESPACE": secured.topics.namespace, "GOVX_EXCHANGE_GROUP": EXCHANGE_GROUP,
           "GOVX_METRICS_PORT": "0"}
    worker = subprocess.run([sys.executable, "-m", "govx.cli", "exchange", "--worker-id", "0"],  # noqa: S603
                            env=env, capture_output=True, text=True, timeout=120, check=False)
    assert worker.returncode == 2, worker.stderr[-2000:]
    assert f"User:{node_principal(A)} may not" in worker.stderr


def test_the_api_keeps_the_directory_and_reads_sources_and_a_node_writes_neither(secured: Secured) -> None:
    bootstrap, topics = secured.cluster.bootstrap, secured.topics
    view = read_directory(kafka_transport(bootstrap, secured.who(API)), topics, secured.catalogue)
    assert view.grants and view.resources  # the API reads the seeded directory as govx-api
    own = secured.source(A, provided=True)
    _publish(bootstrap, secured.node(A), own, b"for the record store")
    records = Subscriber(bootstrap, topics.source_pattern, topics.api_group("test"), security=secured.who(API))
    try:
        assert {m.topic for m in _poll_until(records, b"for the record store")} <= set(
            topics.source(r) for r in secured.catalogue.resources)
    finally:
        records.close()
    _publish(bootstrap, secured.who(API), topics.directory, b"{}")  # the API may write the directory
    with pytest.raises(AuthorizationError) as refused:
        _publish(bootstrap, secured.node(A), topics.directory, b"{}")
    assert refused.value.resource == f"topic {topics.directory}"
