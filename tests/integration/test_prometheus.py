"""The deploy files against live metrics: a real exchange worker on the real broker, scraped by
hand and by a real Prometheus server (Debian's `prometheus` package) loaded with the shipped alert
rules. Every metric name the dashboard and the alert rules use is checked against a live /metrics:

- exchange series (EXCHANGE_SERIES) against the /metrics of an exchange worker that has just
  consumed real events from the broker;
- series only other processes export (OTHER_PROCESS_SERIES: directory API, department receivers,
  department simulators) against the /metrics of a `Metrics` bundle served the same way, on which
  this test touches each labelled series once, as those processes do — they are not started here;
- `up` comes from Prometheus itself and is checked in the Prometheus test.
"""

from __future__ import annotations

import random
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.events import build_event
from exchange.core.topics import Topics
from exchange.kafka.client import Publisher
from exchange.kafka.provision import provision
from exchange.kafka.transport import kafka_transport
from exchange.runtime.service import metrics_server
from tests.integration.kafka_helpers import running_worker
from tests.support import citizen_id, death_certificate
from tests.unit.test_deploy import (
    ALERTS,
    PROMETHEUS_SERIES,
    alert_rules,
    as_promql,
    dashboard_expressions,
    deploy_metric_names,
    local_prometheus_config,
)

pytestmark = pytest.mark.integration

PROMETHEUS_HINT = ("the prometheus binary is missing: install Debian's `prometheus` package "
                   "(`apt-get install -y prometheus`, gives /usr/bin/prometheus and /usr/bin/promtool)")

# Exported by the exchange worker (`govx exchange`) once it has consumed, delivered, skipped and
# dead-lettered events and reported its lag.
EXCHANGE_SERIES = frozenset({
    "govx_events_consumed_total", "govx_deliveries_total", "govx_skips_total", "govx_dead_letters_total",
    "govx_end_to_end_latency_seconds_bucket", "govx_batch_processing_seconds_bucket",
    "govx_batch_processing_seconds_count", "govx_batch_size_events_bucket", "govx_batch_size_events_sum",
    "govx_batch_size_events_count", "govx_transactions_total", "govx_consumer_lag_records",
    "govx_consumer_lag_seconds", "govx_grants_active", "govx_rules_generation",
    "govx_exchange_transaction_open_seconds", "govx_exchange_recoveries_total",
})
# Exported by processes this test does not start; which process, and how the test touches the series.
OTHER_PROCESS_SERIES: dict[str, str] = {
    "govx_api_requests_total": "directory API (govx api)",
    "govx_api_request_seconds_bucket": "directory API (govx api)",
    "govx_applications_pending": "directory API (govx api)",
    "govx_applications_overdue": "directory API (govx api)",
    "govx_directory_events_total": "directory API (govx api)",
    "govx_received_total": "department receivers",
    "govx_receiver_violations_total": "department receivers",
    "govx_produced_events_total": "department simulators",
}

T = TypeVar("T")


def poll(what: str, check: Callable[[], T | None], timeout_s: float = 60.0, every_s: float = 0.2) -> T:
    """Call `check` until it returns something other than None; fail after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    last_error: Exception | None = None
    while time.monotonic() < deadline:
        try:
            found = check()
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            last_error, found = exc, None
        if found is not None:
            return found
        time.sleep(every_s)  # polling interval of a bounded wait, not a synchronisation
    raise AssertionError(f"{what}: not within {timeout_s}s (last error: {last_error!r})")


def scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    """The samples of http://127.0.0.1:<port>/metrics by sample name."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    samples: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            samples.setdefault(sample.name, []).append((dict(sample.labels), float(sample.value)))
    return samples


@dataclass(frozen=True)
class LiveWorker:
    port: int
    topics: Topics
    consumed: int


@pytest.fixture(scope="module")
def live_worker(bootstrap: str, catalogue: Catalogue) -> Iterator[LiveWorker]:
    """An exchange worker on a fresh namespace, its /metrics on a free port, after it consumed
    40 valid death certificates and one with a corrupt body (dead-lettered)."""
    topics = Topics(f"t{uuid.uuid4().hex[:10]}")
    provision(kafka_transport(bootstrap), topics, catalogue, partitions=3)
    resource = catalogue.resources["death_certificate"]
    schema = SchemaRegistry().register(resource.definition)
    rng = random.Random(7)
    now = datetime.now(UTC)
    events = [build_event(resource, schema, death_certificate("440106", person=citizen_id("440106", n)),
                          division="440106", department="weijian", at=now, rng=rng, topics=topics)
              for n in range(1, 41)]
    corrupt = build_event(resource, schema, death_certificate("440106", person=citizen_id("440106", 99)),
                          division="440106", department="weijian", at=now, rng=rng, topics=topics)
    with metrics_server("127.0.0.1", 0) as (metrics, port), running_worker(bootstrap, topics, metrics=metrics):
        publisher = Publisher(bootstrap)
        try:
            for event in events:
                publisher.send(event.topic, event.value, key=event.key, headers=event.headers,
                               timestamp_ms=event.timestamp_ms)
            publisher.send(corrupt.topic, b"\x00\x7f\xff\xff\xfe not avro", key=corrupt.key, headers=corrupt.headers,
                           timestamp_ms=corrupt.timestamp_ms)
            publisher.flush()
        finally:
            publisher.close()
        expected = len(events) + 1

        def all_consumed() -> bool | None:
            consumed = sum(value for _, value in scrape(port).get("govx_events_consumed_total", []))
            return True if consumed >= expected else None

        poll("the worker consumes every event", all_consumed)
        yield LiveWorker(port, topics, expected)


def test_every_deploy_metric_has_a_known_source() -> None:
    """Each name the dashboard and the alerts use is attributed to the process checked below."""
    sources = EXCHANGE_SERIES | set(OTHER_PROCESS_SERIES) | PROMETHEUS_SERIES
    used = deploy_metric_names()
    assert used <= sources, f"add these to the tables of this test: {sorted(used - sources)}"
    assert EXCHANGE_SERIES.isdisjoint(OTHER_PROCESS_SERIES)


def test_a_live_worker_exports_every_exchange_series_the_deploy_files_use(live_worker: LiveWorker) -> None:
    samples = scrape(live_worker.port)
    used = deploy_metric_names() & EXCHANGE_SERIES
    missing = used - set(samples)
    assert not missing, f"the live exchange worker does not export {sorted(missing)}"
    consumed = {labels["resource"]: value for labels, value in samples["govx_events_consumed_total"]}
    assert consumed == {"death_certificate": live_worker.consumed}
    dead = {labels["reason"]: value for labels, value in samples["govx_dead_letters_total"]}
    assert {reason for reason, value in dead.items() if value} == {"schema.unknown"}
    assert dead["directory.invalid"] == 0  # every worker exports the directory guard's series from the start
    assert {labels["action"]: value for labels, value in samples["govx_exchange_recoveries_total"]} == {
        "abort": 0, "rebuild": 0, "rebalance": 0}  # a healthy worker recovered from nothing, and says so
    lag_topics = {labels["topic"] for labels, _ in samples["govx_consumer_lag_records"]}
    assert live_worker.topics.source("death_certificate") in lag_topics


def test_other_processes_series_the_deploy_files_use_are_exported_once_touched() -> None:
    """The series of the API, receivers and simulators: touched once as those processes do, then
    scraped over HTTP exactly as Prometheus scrapes them."""
    with metrics_server("127.0.0.1", 0) as (metrics, port):
        metrics.api_requests.labels("/resources", "2xx").inc()
        metrics.api_latency.labels("/resources").observe(0.004)
        metrics.applications_pending.set(2)
        metrics.applications_overdue.set(1)
        metrics.directory_events.labels("grant.issued").inc()
        metrics.received.labels("gongan").inc()
        metrics.receiver_violations.labels("gongan").inc()
        metrics.produced.labels("death_certificate", "valid").inc()
        samples = scrape(port)
    used = deploy_metric_names() & set(OTHER_PROCESS_SERIES)
    missing = {name: OTHER_PROCESS_SERIES[name] for name in used - set(samples)}
    assert not missing, f"not exported: {missing}"


# ---------------------------------------------------------------------------------------------
# A real Prometheus server


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class PrometheusServer:
    url: str
    log: Path

    def api(self, path: str, **params: str) -> Any:
        response = httpx.get(f"{self.url}/api/v1/{path}", params=params, timeout=5)
        body = response.json()
        assert body["status"] == "success", body
        return body["data"]

    def query(self, expr: str) -> list[dict[str, Any]]:
        data = self.api("query", query=expr)
        result: list[dict[str, Any]] = data["result"]
        return result


@pytest.fixture
def prometheus(live_worker: LiveWorker, tmp_path: Path) -> Iterator[PrometheusServer]:
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.fail(PROMETHEUS_HINT)
    config = tmp_path / "prometheus.yml"
    config.write_text(yaml.safe_dump(local_prometheus_config(
        {"govx-exchange": f"127.0.0.1:{live_worker.port}"}, [ALERTS])), encoding="utf-8")
    port = free_port()
    log = tmp_path / "prometheus.log"
    with open(log, "wb") as output:
        process = subprocess.Popen(  # noqa: S603 - fixed binary and arguments
            [binary, f"--config.file={config}", f"--storage.tsdb.path={tmp_path / 'data'}",
             f"--web.listen-address=127.0.0.1:{port}"],
            stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT)
    server = PrometheusServer(f"http://127.0.0.1:{port}", log)
    try:
        def ready() -> bool | None:
            if process.poll() is not None:
                raise AssertionError(f"prometheus exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            return True if httpx.get(f"{server.url}/-/ready", timeout=2).status_code == 200 else None

        poll("prometheus is ready", ready, timeout_s=30)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def test_prometheus_scrapes_the_worker_and_loads_the_alert_rules(
        live_worker: LiveWorker, prometheus: PrometheusServer) -> None:
    def worker_up() -> bool | None:
        result = prometheus.query('up{job="govx-exchange"}')
        return True if [sample["value"][1] for sample in result] == ["1"] else None

    poll("up{job=govx-exchange} == 1", worker_up, timeout_s=30)

    def consumed() -> float | None:
        result = prometheus.query("sum(govx_events_consumed_total)")
        return float(result[0]["value"][1]) if result and float(result[0]["value"][1]) > 0 else None

    assert poll("govx_events_consumed_total > 0 in Prometheus", consumed, timeout_s=30) == live_worker.consumed

    # every exchange series the deploy files use is stored by Prometheus
    for name in sorted(deploy_metric_names() & EXCHANGE_SERIES):
        assert prometheus.query(f"count({name})"), f"Prometheus has no {name}"

    # every rule loaded and evaluated without error
    expected = {rule["alert"] for rule in alert_rules()}

    def evaluated() -> dict[str, dict[str, Any]] | None:
        groups = prometheus.api("rules")["groups"]
        rules = {rule["name"]: rule for group in groups if group["name"] == "govx" for rule in group["rules"]}
        done = set(rules) == expected and all(rule["health"] == "ok" for rule in rules.values())
        return rules if done else None

    try:
        rules = poll("every govx rule evaluated with health ok", evaluated, timeout_s=30)
    except AssertionError:
        groups = prometheus.api("rules")["groups"]
        raise AssertionError(f"rules as Prometheus reports them: {groups}") from None
    assert all(rule["type"] == "alerting" for rule in rules.values())

    # with the worker up, the worker-down alerts settle inactive (an evaluation that ran before the
    # first scrape was committed may have seen no `up` and left them pending for one interval)
    healthy = ("GovxExchangeWorkerDown", "GovxExchangeAllWorkersDown", "GovxTransactionsAllAborting")

    def settled() -> bool | None:
        groups = prometheus.api("rules")["groups"]
        states = {rule["name"]: rule["state"] for group in groups for rule in group["rules"] if rule["name"] in healthy}
        return True if set(states.values()) == {"inactive"} else None

    try:
        poll("the worker-down alerts are inactive while the worker is up", settled, timeout_s=15)
    except AssertionError:
        groups = prometheus.api("rules")["groups"]
        states = {rule["name"]: rule["state"] for group in groups for rule in group["rules"]}
        raise AssertionError(f"alert states with a healthy worker: {states}") from None

    # every dashboard and alert expression is accepted by the server's query engine
    for title, expr in dashboard_expressions():
        assert "result" in prometheus.api("query", query=as_promql(expr)), title
    for rule in alert_rules():
        prometheus.api("query", query=rule["expr"])
