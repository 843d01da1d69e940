"""A process whose cluster has gone exits non-zero with the reason, within its bound, instead of hanging.

Each test starts its own broker (GOVX_KAFKA_PORT + 20 and + 21, its own storage), runs one govx process
on it with `--give-up-after 5`, kills the broker (SIGKILL: a crash) once the process is at work, and
waits for the process to end: status 2, "<role> could not recover within 5 s; last error: <the
cause>" on stderr, within the give-up time plus the process's own deadlines (BOUND_S). The worker and
the receiver are idle in their group when the broker dies — the case that used to hang: kafka-python's
`poll()` returns nothing for ever when no broker answers. Measured here (2 shared cores): the worker and
the receiver exit 7–9 s after the broker dies, the producer about 22 s. Each test takes 15–30 s (plus
8–10 s starting its broker): `pytest tests/integration/test_give_up.py --durations=5`.
"""

from __future__ import annotations

import re
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.core.catalogue import Catalogue
from exchange.core.directory import Node
from exchange.core.topics import Topics
from exchange.kafka.admin import Admin
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from exchange.runtime.settings import Settings
from loadtest.processes import Child, Children
from loadtest.scrape import scrape

pytestmark = [pytest.mark.integration, pytest.mark.filterwarnings(
    "ignore:Exception ignored in. <socket.socket:pytest.PytestUnraisableExceptionWarning")]

GIVE_UP_S = 5
# give-up + the process's own deadlines + 10 s for a slow shared machine (a process that hangs runs on):
# the worker and receiver retry every 0.5–1 s; the producer's first failed acknowledgement check comes
# 5 s after the broker died, its last ends up to 5 s past the give-up, and closing waits up to 10 s
BOUND_S = {"worker": GIVE_UP_S + 2 + 10, "receiver": GIVE_UP_S + 1 + 10, "producer": GIVE_UP_S + 5 + 5 + 10 + 10}
COMMANDS = {
    "worker": ["exchange", "--metrics-port", "0", "--give-up-after", str(GIVE_UP_S)],
    "receiver": ["consume", "--metrics-port", "0", "--give-up-after", str(GIVE_UP_S)],
    "producer": ["produce", "--metrics-port", "0", "--give-up-after", str(GIVE_UP_S), "--duration", "600",
                 "--rate", "2"],
}


@pytest.fixture
def broker(settings: Settings, tmp_path: Path) -> Iterator[LocalBroker]:
    """A broker of the test's own, so killing it leaves the session's broker alone."""
    port = settings.kafka_port + 20
    own = LocalBroker(BrokerLayout(settings.cache_dir, tmp_path / "broker", settings.kafka_host, port, port + 1,
                                   heap="512m"))
    own.up()
    try:
        yield own
    finally:
        own.down()


@pytest.mark.parametrize("role", list(COMMANDS))
def test_a_process_whose_cluster_is_gone_exits_with_the_reason_in_time(
        role: str, broker: LocalBroker, catalogue: Catalogue, topics: Topics, tmp_path: Path,
        env_without_govx: dict[str, str]) -> None:
    bootstrap = broker.layout.bootstrap
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=2)
    admin = Admin(bootstrap)
    admin.ensure_topics(topics.inboxes({Node.parse("440106/gongan")}))  # for the receiver to be assigned
    admin.close()
    env = {**env_without_govx, "GOVX_BOOTSTRAP_SERVERS": bootstrap, "GOVX_TOPIC_NAMESPACE": topics.namespace,
           "GOVX_EXCHANGE_GROUP": f"{topics.namespace}-x", "GOVX_METRICS_HOST": "127.0.0.1"}
    children = Children(env, tmp_path / "logs")
    try:
        child = children.start(role, role, COMMANDS[role])
        children.wait_ready([child])
        at_work(role, child, bootstrap, topics)
        assert broker.signal(signal.SIGKILL), "the test's broker was not running"
        died = time.monotonic()
        status = exit_status(child, BOUND_S[role])
        took = time.monotonic() - died
    finally:
        children.stop_all()
    log = child.log.read_text(encoding="utf-8", errors="replace")
    print(f"{role}: exit status {status} {took:.1f} s after the broker died")
    assert status == 2, child.log_tail()
    reason = re.search(rf"error: {role} could not recover within {GIVE_UP_S} s; last error: (\S.*)", log)
    assert reason is not None, child.log_tail()
    assert took >= GIVE_UP_S, f"gave up after {took:.1f} s, before its {GIVE_UP_S} s"


def at_work(role: str, child: Child, bootstrap: str, topics: Topics, timeout_s: float = 60.0) -> None:
    """Wait until the process works: the worker and the receiver hold partitions of their group, the
    producer has produced."""
    group = {"worker": f"{topics.namespace}-x", "receiver": topics.receivers_group}.get(role)
    deadline = time.monotonic() + timeout_s
    while not (holds_partitions(bootstrap, group) if group else produced(child)):
        assert child.running() and time.monotonic() < deadline, f"{role} not at work\n{child.log_tail()}"
        time.sleep(0.2)  # polling the condition


def holds_partitions(bootstrap: str, group: str) -> bool:
    admin = Admin(bootstrap)
    try:
        described = admin.client.describe_groups([group])[group]
    finally:
        admin.close()
    return any(member["member_assignment"]["assigned_partitions"] for member in described["members"])


def produced(child: Child) -> bool:
    port = child.metrics_port
    return port is not None and scrape([port]).total("govx_produced_events_total") > 0


def exit_status(child: Child, within_s: float) -> int:
    """The process's exit status; fails the test if it is still running after `within_s` (it hangs)."""
    try:
        return child.process.wait(within_s)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{child.name} still runs {within_s:g} s after its cluster died: it hangs\n{child.log_tail()}")
