"""The shipped operations files in deploy/ agree with the code: alert rules and dashboard use only
series that exchange/runtime/metrics.py exports, every alert carries what an on-call engineer needs, and
the compose file is a runnable 3-broker cluster configured only with known GOVX_ settings.

The helpers here (`metric_names`, `alert_rules`, `dashboard_expressions`, …) are shared with
tests/unit/test_alert_rules.py and tests/integration/test_prometheus.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client import CollectorRegistry

from exchange.runtime.metrics import Metrics
from exchange.runtime.settings import ENV_PREFIX, Settings, load_settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
DASHBOARD = DEPLOY / "grafana" / "dashboards" / "govx-exchange.json"
GRAFANA_DATASOURCES = DEPLOY / "grafana" / "provisioning" / "datasources" / "prometheus.yml"
GRAFANA_DASHBOARDS = DEPLOY / "grafana" / "provisioning" / "dashboards" / "govx.yml"
COMPOSE = DEPLOY / "compose.yaml"
DOCKERFILE = DEPLOY / "Dockerfile"
OPERATIONS_DOC = ROOT / "docs" / "operations.md"

JOBS = ("govx-exchange", "govx-api", "govx-receivers", "govx-producers")
PROMTOOL_HINT = ("promtool is missing: install Debian's `prometheus` package "
                 "(`apt-get install -y prometheus`, gives /usr/bin/prometheus and /usr/bin/promtool)")

# ---------------------------------------------------------------------------------------------
# PromQL metric-name extraction

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_GRAFANA_VARIABLES = re.compile(r"\$\{[^}]*\}|\$\w+")
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGES = re.compile(r"\[[^\[\]]*\]")
_CLAUSES = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(?![\w:])(\s*\()?")
_KEYWORDS = frozenset({"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset",
                       "and", "or", "unless", "atan2", "inf", "nan"})
_LABEL_VALUES = re.compile(r"^\s*label_values\(\s*(?:(?P<selector>[^,]+?)\s*,\s*)?\w+\s*\)\s*$")


def promql_metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression selects: every identifier that is not a function or
    aggregation (followed by `(`), a keyword, a label inside `{…}`, a grouping label inside
    `by/without/on/ignoring/group_left/group_right (…)`, a duration or a number. Grafana variables
    (`$resource`, `${datasource}`, `$__rate_interval`) are dropped first."""
    if "__name__" in expr:
        raise ValueError(f"selecting by __name__ hides the metric name from this check: {expr}")
    text = _STRINGS.sub('""', expr)
    text = _GRAFANA_VARIABLES.sub("", text)
    text = _MATCHERS.sub("", text)
    text = _RANGES.sub("", text)
    text = _CLAUSES.sub(" ", text)
    names: set[str] = set()
    for match in _IDENTIFIER.finditer(text):
        name, call = match.group(1), match.group(2)
        if call or name.lower() in _KEYWORDS:
            continue
        names.add(name)
    return names


def variable_query_metric_names(query: str) -> set[str]:
    """The metric names of a Grafana Prometheus template-variable query (`label_values(…)` or a
    PromQL `query_result(…)`)."""
    found = _LABEL_VALUES.match(query)
    if found:
        selector = found.group("selector")
        return promql_metric_names(selector) if selector else set()
    inner = re.fullmatch(r"\s*query_result\((.*)\)\s*", query, re.S)
    if inner:
        return promql_metric_names(inner.group(1))
    raise ValueError(f"unsupported variable query: {query}")


# ---------------------------------------------------------------------------------------------
# What the code exports and what deploy/ uses

_SUFFIXES = {"counter": ("_total", "_created"), "histogram": ("_bucket", "_sum", "_count", "_created"),
             "summary": ("", "_sum", "_count", "_created"), "gauge": ("",), "info": ("_info",),
             "stateset": ("",), "gaugehistogram": ("_bucket", "_gsum", "_gcount"), "unknown": ("",)}
PROMETHEUS_SERIES = frozenset({"up"})


def metric_names() -> set[str]:
    """Every sample name a govx process can export (exchange.metrics.Metrics) plus Prometheus' `up`."""
    registry = CollectorRegistry()
    Metrics(registry)
    names = {family.name + suffix for family in registry.collect() for suffix in _SUFFIXES[family.type]}
    return names | PROMETHEUS_SERIES


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def alert_rules() -> list[dict[str, Any]]:
    """The alerting rules of alerts.yml (every group)."""
    groups = load_yaml(ALERTS)["groups"]
    return [rule for group in groups for rule in group["rules"] if "alert" in rule]


def dashboard() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    return loaded


def _walk_panels(panels: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for panel in panels:
        yield panel
        yield from _walk_panels(panel.get("panels", []))


def dashboard_panels() -> list[dict[str, Any]]:
    return list(_walk_panels(dashboard()["panels"]))


def dashboard_expressions() -> list[tuple[str, str]]:
    """(panel title, PromQL) for every query target of the dashboard."""
    return [(panel["title"], target["expr"]) for panel in dashboard_panels()
            for target in panel.get("targets", []) if "expr" in target]


def dashboard_variable_queries() -> list[tuple[str, str]]:
    """(variable name, query) for the dashboard's Prometheus query variables."""
    found = []
    for variable in dashboard()["templating"]["list"]:
        if variable["type"] == "query":
            query = variable["query"]
            found.append((variable["name"], query["query"] if isinstance(query, dict) else query))
    return found


def deploy_metric_names() -> set[str]:
    """Every metric name that the alert rules and the dashboard use."""
    names: set[str] = set()
    for rule in alert_rules():
        names |= promql_metric_names(rule["expr"])
    for _, expr in dashboard_expressions():
        names |= promql_metric_names(expr)
    for _, query in dashboard_variable_queries():
        names |= variable_query_metric_names(query)
    return names


def as_promql(grafana_expr: str, rate_interval: str = "1m") -> str:
    """A dashboard expression with Grafana's variables replaced, so Prometheus can evaluate it."""
    return (grafana_expr.replace("$__rate_interval", rate_interval).replace("$__interval", rate_interval)
            .replace("$resource", ".*"))


def local_prometheus_config(targets: dict[str, str], rules: list[Path], interval: str = "1s") -> dict[str, Any]:
    """A Prometheus configuration scraping `targets` (job → host:port) with `rules` loaded: what the
    integration test runs, with the shipped job names."""
    return {
        "global": {"scrape_interval": interval, "scrape_timeout": interval, "evaluation_interval": interval},
        "rule_files": [str(path) for path in rules],
        "scrape_configs": [{"job_name": job, "static_configs": [{"targets": [target]}]}
                           for job, target in targets.items()],
    }


def github_anchor(heading: str) -> str:
    """The anchor GitHub (and most Markdown renderers) give a heading."""
    slug = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return slug.replace(" ", "-")


def markdown_anchors(text: str) -> set[str]:
    """The anchors of every ATX heading in a Markdown text, outside fenced code blocks, including
    GitHub's -1, -2 suffixes for repeated headings."""
    anchors: set[str] = set()
    seen: dict[str, int] = {}
    fenced = False
    for line in text.splitlines():
        if line.lstrip().startswith(("```", "~~~")):
            fenced = not fenced
            continue
        heading = re.match(r"^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$", line)
        if fenced or not heading:
            continue
        anchor = github_anchor(heading.group(1))
        count = seen.get(anchor, 0)
        anchors.add(anchor if count == 0 else f"{anchor}-{count}")
        seen[anchor] = count + 1
    return anchors


# ---------------------------------------------------------------------------------------------
# The extractor itself


@pytest.mark.parametrize(("expr", "expected"), [
    ("histogram_quantile(0.99, sum by (le) (rate(govx_end_to_end_latency_seconds_bucket[1m])))",
     {"govx_end_to_end_latency_seconds_bucket"}),
    ('sum(rate(govx_dead_letters_total{reason!="directory.invalid"}[5m])) / sum(rate(govx_events_consumed_total[5m]))'
     " > 0.01", {"govx_dead_letters_total", "govx_events_consumed_total"}),
    ('sum without (instance) (rate(a_total{job=~"x|y", le="+Inf"}[5m] offset 1h)) > bool 1e3 '
     "unless on (group) group_left (topic) b_seconds or vector(0) and c", {"a_total", "b_seconds", "c"}),
    ("max(govx_consumer_lag_seconds) by (group, topic) * on(topic) group_right max_over_time(d[10m:1m])",
     {"govx_consumer_lag_seconds", "d"}),
    ('sum by (resource) (rate(govx_events_consumed_total{resource=~"$resource"}[$__rate_interval]))',
     {"govx_events_consumed_total"}),
    ('label_replace(up{job="govx-exchange"}, "dst", "$1", "instance", "(.*):{9464}")', {"up"}),
    ("absent(up{job=\"govx-exchange\"} == 1) or count(x:recorded:rate5m @ end()) > -Inf", {"up", "x:recorded:rate5m"}),
])
def test_the_extractor_finds_exactly_the_metric_names(expr: str, expected: set[str]) -> None:
    assert promql_metric_names(expr) == expected


def test_the_extractor_refuses_selection_by_name() -> None:
    with pytest.raises(ValueError, match="__name__"):
        promql_metric_names('{__name__=~"govx_.+"}')


def test_variable_queries_name_their_metric() -> None:
    assert variable_query_metric_names("label_values(govx_events_consumed_total, resource)") == {
        "govx_events_consumed_total"}
    assert variable_query_metric_names('label_values(govx_deliveries_total{decision="full"}, consumer_department)') \
        == {"govx_deliveries_total"}
    assert variable_query_metric_names("label_values(resource)") == set()


def test_exported_names_follow_the_metric_types() -> None:
    names = metric_names()
    assert {"govx_events_consumed_total", "govx_end_to_end_latency_seconds_bucket", "govx_consumer_lag_records",
            "govx_batch_size_events_count", "up"} <= names
    assert "govx_events_consumed" not in names, "a counter is exported as <name>_total only"
    assert "govx_consumer_lag_records_total" not in names


# ---------------------------------------------------------------------------------------------
# Alert rules

REQUIRED_ALERTS = {
    "GovxConsumerLagRecordsHigh": {"govx_consumer_lag_records"},
    "GovxConsumerLagSecondsHigh": {"govx_consumer_lag_seconds"},
    "GovxDeadLetterRateHigh": {"govx_dead_letters_total", "govx_events_consumed_total"},
    "GovxErrorRatioHigh": {"govx_dead_letters_total", "govx_transactions_total", "govx_events_consumed_total"},
    "GovxApplicationsOverdue": {"govx_applications_overdue"},
    "GovxExchangeWorkerDown": {"up"},
    "GovxReceiverViolation": {"govx_receiver_violations_total"},
    "GovxEndToEndLatencyHigh": {"govx_end_to_end_latency_seconds_bucket"},
    "GovxTransactionStuck": {"govx_exchange_transaction_open_seconds"},
}


def test_alerts_are_in_the_govx_group_with_unique_names() -> None:
    groups = load_yaml(ALERTS)["groups"]
    assert [group["name"] for group in groups] == ["govx"]
    names = [rule["alert"] for rule in alert_rules()]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_alert_uses_only_exported_metrics(rule: dict[str, Any]) -> None:
    used = promql_metric_names(rule["expr"])
    assert used, "an alert that selects no series cannot fire"
    assert used <= metric_names(), f"not exported by exchange/runtime/metrics.py: {sorted(used - metric_names())}"


@pytest.mark.parametrize("rule", alert_rules(), ids=lambda rule: str(rule["alert"]))
def test_alert_has_what_on_call_needs(rule: dict[str, Any]) -> None:
    assert re.fullmatch(r"\d+[smh]", str(rule.get("for", ""))), "every alert states `for`"
    assert rule.get("labels", {}).get("severity") in {"warning", "critical"}
    annotations = rule.get("annotations", {})
    for key in ("summary", "description", "runbook"):
        assert str(annotations.get(key, "")).strip(), f"annotation {key} missing"
    # the runbook of an alert is the heading of the same name in docs/operations.md
    assert annotations["runbook"] == f"docs/operations.md#{github_anchor(rule['alert'])}"


def test_the_required_alerts_watch_the_required_series() -> None:
    by_name = {rule["alert"]: rule for rule in alert_rules()}
    for name, series in REQUIRED_ALERTS.items():
        assert name in by_name, f"missing alert {name}"
        assert series <= promql_metric_names(by_name[name]["expr"]), name
    assert by_name["GovxExchangeWorkerDown"]["expr"].strip() == 'up{job="govx-exchange"} == 0'
    assert by_name["GovxReceiverViolation"]["labels"]["severity"] == "critical"
    assert 'result="aborted"' in by_name["GovxErrorRatioHigh"]["expr"]


def test_every_runbook_anchor_is_a_heading_of_the_operations_doc() -> None:
    needed = {rule["alert"]: rule["annotations"]["runbook"].split("#", 1)[1] for rule in alert_rules()}
    assert OPERATIONS_DOC.is_file(), (
        f"{OPERATIONS_DOC.relative_to(ROOT)} does not exist; the alert runbooks need these headings: "
        + ", ".join(f"'{name}' (#{anchor})" for name, anchor in sorted(needed.items())))
    anchors = markdown_anchors(OPERATIONS_DOC.read_text(encoding="utf-8"))
    missing = {name: anchor for name, anchor in needed.items() if anchor not in anchors}
    assert not missing, f"docs/operations.md lacks the runbook headings: {missing}"


def test_markdown_anchors_follow_github() -> None:
    text = "# Operations\n## GovxApiDown\n```\n# not a heading\n```\n### Consumer lag (records)\n## GovxApiDown\n"
    assert markdown_anchors(text) == {"operations", "govxapidown", "consumer-lag-records", "govxapidown-1"}


# ---------------------------------------------------------------------------------------------
# Dashboard

DASHBOARD_MUST_SHOW = {
    "govx_events_consumed_total", "govx_deliveries_total", "govx_skips_total", "govx_dead_letters_total",
    "govx_end_to_end_latency_seconds_bucket", "govx_batch_processing_seconds_bucket", "govx_batch_size_events_bucket",
    "govx_consumer_lag_records", "govx_consumer_lag_seconds", "govx_transactions_total", "govx_grants_active",
    "govx_applications_pending", "govx_applications_overdue", "govx_receiver_violations_total",
    "govx_api_requests_total", "govx_api_request_seconds_bucket", "govx_produced_events_total",
    "govx_exchange_transaction_open_seconds", "govx_exchange_recoveries_total",
}


@pytest.mark.parametrize(("title", "expr"), dashboard_expressions(), ids=lambda value: str(value)[:60])
def test_dashboard_expression_uses_only_exported_metrics(title: str, expr: str) -> None:
    used = promql_metric_names(expr)
    assert used, f"{title}: selects no series"
    missing = sorted(used - metric_names())
    assert not missing, f"{title}: not exported by exchange/runtime/metrics.py: {missing}"


def test_dashboard_variables() -> None:
    variables = {variable["name"]: variable for variable in dashboard()["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert dict(dashboard_variable_queries())["resource"] == "label_values(govx_events_consumed_total, resource)"
    for _, query in dashboard_variable_queries():
        assert variable_query_metric_names(query) <= metric_names()


def test_dashboard_identity_and_panels() -> None:
    board = dashboard()
    assert board["uid"] == "govx-exchange"
    assert board["title"] == "govx — exchange"
    assert board["schemaVersion"] >= 39
    panels = dashboard_panels()
    ids = [panel["id"] for panel in panels]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    for panel in panels:
        if panel["type"] == "row":
            continue
        assert panel["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        assert panel["targets"], panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == {"type": "prometheus", "uid": "${datasource}"}, panel["title"]
        grid = panel["gridPos"]
        assert 0 <= grid["x"] and grid["x"] + grid["w"] <= 24, panel["title"]
    cells: dict[tuple[int, int], str] = {}
    for panel in panels:
        grid = panel["gridPos"]
        for x in range(grid["x"], grid["x"] + grid["w"]):
            for y in range(grid["y"], grid["y"] + grid["h"]):
                assert (x, y) not in cells, f"{panel['title']} overlaps {cells[(x, y)]}"
                cells[(x, y)] = panel["title"]
    shown = set().union(*(promql_metric_names(expr) for _, expr in dashboard_expressions()))
    assert shown >= DASHBOARD_MUST_SHOW, f"no panel shows {sorted(DASHBOARD_MUST_SHOW - shown)}"


def test_every_series_an_alert_watches_has_a_panel() -> None:
    """What fires an alert is on the dashboard too, so the on-call engineer sees it before and after."""
    shown = set().union(*(promql_metric_names(expr) for _, expr in dashboard_expressions()))
    for rule in alert_rules():
        assert promql_metric_names(rule["expr"]) <= shown, f"{rule['alert']}: no panel shows its series"


def test_the_stuck_transaction_panel_is_per_instance_and_marks_the_alert_threshold() -> None:
    panel = next(p for p in dashboard_panels() if p["type"] != "row" and "govx_exchange_transaction_open_seconds"
                 in "".join(t["expr"] for t in p["targets"]))
    assert [t["expr"] for t in panel["targets"]] == ["max by (instance) (govx_exchange_transaction_open_seconds)"]
    stuck = next(r for r in alert_rules() if r["alert"] == "GovxTransactionStuck")
    threshold = float(stuck["expr"].rsplit(">", 1)[1])
    steps = panel["fieldConfig"]["defaults"]["thresholds"]["steps"]
    assert [step["value"] for step in steps] == [None, threshold], "the panel turns red where the alert fires"


def test_dashboard_filters_resource_labelled_series_by_the_resource_variable() -> None:
    """Panels of resource-labelled series follow $resource; ratios against dead letters (which have
    no resource label: an event may be dead-lettered before its resource is known) span them all."""
    for title, expr in dashboard_expressions():
        names = promql_metric_names(expr)
        if "govx_dead_letters_total" in names:
            continue
        for name in names:
            if name in {"govx_events_consumed_total", "govx_deliveries_total", "govx_skips_total"}:
                assert re.search(name + r'\{[^}]*resource=~"\$resource"', expr), f"{title}: {expr}"


def test_grafana_provisioning_points_at_compose_paths() -> None:
    datasources = load_yaml(GRAFANA_DATASOURCES)["datasources"]
    assert [source["type"] for source in datasources] == ["prometheus"]
    assert datasources[0]["url"] == "http://prometheus:9090"
    providers = load_yaml(GRAFANA_DASHBOARDS)["providers"]
    grafana = load_yaml(COMPOSE)["services"]["grafana"]
    mounts = dict(_bind_mounts(grafana))
    assert mounts["./grafana/provisioning"] == "/etc/grafana/provisioning"
    assert mounts["./grafana/dashboards"] == providers[0]["options"]["path"]


# ---------------------------------------------------------------------------------------------
# Prometheus configuration


def test_prometheus_config_scrapes_the_compose_services() -> None:
    config = load_yaml(PROMETHEUS_CONFIG)
    assert config["global"]["scrape_interval"] == "5s"
    assert config["rule_files"] == ["alerts.yml"]
    jobs = {job["job_name"]: job for job in config["scrape_configs"]}
    assert set(jobs) == set(JOBS)
    services = load_yaml(COMPOSE)["services"]
    env = services["exchange-0"]["environment"]
    expected_ports = {"govx-exchange": env["GOVX_METRICS_PORT"], "govx-api": env["GOVX_API_PORT"]}
    for job, port in expected_ports.items():
        targets = [t for static in jobs[job]["static_configs"] for t in static["targets"]]
        assert targets, job
        for target in targets:
            host, _, target_port = target.partition(":")
            assert host in services, f"{job}: {host} is not a compose service"
            assert target_port == str(port), f"{job}: {target}"
    exchange_services = {name for name, service in services.items() if service.get("command", [None])[0] == "exchange"}
    scraped = {t.split(":")[0] for static in jobs["govx-exchange"]["static_configs"] for t in static["targets"]}
    assert scraped == exchange_services, "every exchange worker of the compose file is scraped"
    for job, service in (("govx-receivers", "receivers"), ("govx-producers", "producers")):
        discovery = jobs[job]["dns_sd_configs"][0]
        assert discovery["names"] == [service], f"{job}: found by the compose service name"
        command = services[service]["command"]
        # `govx produce` and `govx consume` take their /metrics port as an option, not from GOVX_METRICS_PORT
        assert command[command.index("--metrics-port") + 1] == str(discovery["port"]), job


def test_local_prometheus_config_has_the_shipped_job_names() -> None:
    config = local_prometheus_config({"govx-exchange": "127.0.0.1:9464"}, [ALERTS])
    assert config["scrape_configs"][0]["job_name"] in JOBS
    assert config["rule_files"] == [str(ALERTS)]


# ---------------------------------------------------------------------------------------------
# Compose


def _bind_mounts(service: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for volume in service.get("volumes", []):
        source, target = str(volume).split(":")[:2]
        if source.startswith("."):
            yield source, target


def _docker_compose_available() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "compose", "version"], capture_output=True, text=True, check=False)
    return probe.returncode == 0


COMPOSE_TOP_LEVEL = {"name", "services", "volumes", "networks", "configs", "secrets", "include", "version"}
SERVICE_KEYS = {"image", "build", "command", "entrypoint", "environment", "ports", "volumes", "depends_on",
                "healthcheck", "restart", "hostname", "stop_grace_period", "container_name", "profiles"}


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE)
    return loaded


def _depends_on(service: dict[str, Any]) -> dict[str, dict[str, Any]]:
    depends = service.get("depends_on") or {}
    return {name: {} for name in depends} if isinstance(depends, list) else dict(depends)


def test_compose_file_is_valid() -> None:
    """`docker compose config` is the authority when the compose plugin is installed; it is not on
    the development machine, so the structural checks below always run as well."""
    if _docker_compose_available():
        result = subprocess.run(["docker", "compose", "-f", str(COMPOSE), "config", "--quiet"],
                                capture_output=True, text=True, check=False, cwd=ROOT)
        assert result.returncode == 0, result.stderr
    document = compose()
    assert {key for key in document if not key.startswith("x-")} <= COMPOSE_TOP_LEVEL
    services: dict[str, dict[str, Any]] = document["services"]
    volumes = set(document.get("volumes") or {})
    for name, service in services.items():
        assert set(service) <= SERVICE_KEYS, f"{name}: unexpected keys {set(service) - SERVICE_KEYS}"
        assert "image" in service or "build" in service, name
        assert isinstance(service.get("environment", {}), dict), f"{name}: environment as a mapping"
        for dependency, condition in _depends_on(service).items():
            assert dependency in services, f"{name} depends on unknown {dependency}"
            if condition.get("condition") == "service_healthy":
                assert "healthcheck" in services[dependency], f"{dependency} has no healthcheck"
            assert condition.get("condition", "service_started") in {
                "service_started", "service_healthy", "service_completed_successfully"}
        for volume in service.get("volumes", []):
            source = str(volume).split(":")[0]
            if source.startswith("."):
                assert (DEPLOY / source).exists(), f"{name}: bind mount {source} does not exist"
            else:
                assert source in volumes, f"{name}: volume {source} is not declared"
        for port in service.get("ports", []):
            assert re.fullmatch(r"(127\.0\.0\.1:)?\d+:\d+", str(port)), f"{name}: port {port}"
        build = service.get("build")
        if build:
            assert (DEPLOY / build["context"] / build["dockerfile"]).resolve() == DOCKERFILE
            assert (DEPLOY / build["context"]).resolve() == ROOT
    assert services["prometheus"]["image"].startswith("prom/prometheus:")
    assert "./prometheus:/etc/prometheus:ro" in services["prometheus"]["volumes"]
    assert "--config.file=/etc/prometheus/prometheus.yml" in services["prometheus"]["command"]
    assert services["grafana"]["image"].startswith("grafana/grafana:")


def test_compose_runs_a_three_node_kraft_cluster() -> None:
    services = compose()["services"]
    brokers = {name: service for name, service in services.items() if name.startswith("kafka-")}
    assert sorted(brokers) == ["kafka-1", "kafka-2", "kafka-3"]
    voters = "1@kafka-1:9093,2@kafka-2:9093,3@kafka-3:9093"
    cluster_ids = set()
    for name, service in brokers.items():
        env = {key: str(value) for key, value in service["environment"].items()}
        assert service["image"] == "apache/kafka:4.3.1"
        assert env["KAFKA_NODE_ID"] == name.removeprefix("kafka-")
        assert env["KAFKA_PROCESS_ROLES"] == "broker,controller"
        assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == voters
        assert "CLIENT://:9092" in env["KAFKA_LISTENERS"]
        assert "CONTROLLER://:9093" in env["KAFKA_LISTENERS"]
        assert f"CLIENT://{name}:9092" in env["KAFKA_ADVERTISED_LISTENERS"]
        for key in ("KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR",
                    "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
                    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR"):
            assert env[key] == "3", key
        for key in ("KAFKA_MIN_INSYNC_REPLICAS", "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR",
                    "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR"):
            assert env[key] == "2", key
        cluster_ids.add(env["CLUSTER_ID"])
    assert len(cluster_ids) == 1


def _govx_services() -> dict[str, dict[str, Any]]:
    return {name: service for name, service in compose()["services"].items()
            if service.get("image") == "govx:local"}


def test_compose_runs_the_govx_services() -> None:
    services = _govx_services()
    commands = {name: service["command"] for name, service in services.items()}
    assert {name: commands[name] for name in ("seed", "exchange-0", "exchange-1", "api")} == {
        "seed": ["directory", "seed"], "exchange-0": ["exchange", "--worker-id", "0"],
        "exchange-1": ["exchange", "--worker-id", "1"], "api": ["api"]}
    assert commands["receivers"][0] == "consume"
    assert commands["producers"][0] == "produce"
    for name in ("receivers", "producers"):
        assert services[name]["profiles"] == ["load"], f"{name} runs on demand only"
    assert services["seed"]["restart"] == "no" and services["keys"]["restart"] == "no"
    assert commands["keys"] == ["api-keys", "--out", "/keys/api-keys.toml", "--all", "--if-missing"]
    assert services["api"]["environment"]["GOVX_API_KEYS_FILE"] == "/keys/api-keys.toml"
    assert services["api"]["depends_on"]["keys"]["condition"] == "service_completed_successfully"
    for name, service in services.items():
        env = service["environment"]
        internal = name in ADMIN_SERVICES  # the super user, on the brokers' INTERNAL listener
        assert env["GOVX_BOOTSTRAP_SERVERS"] == ("kafka-1:9094,kafka-2:9094,kafka-3:9094" if internal
                                                 else "kafka-1:9092,kafka-2:9092,kafka-3:9092"), name
        assert env["GOVX_METRICS_HOST"] == "0.0.0.0", name  # noqa: S104 - the container's listen address
        assert str(env["GOVX_METRICS_PORT"]) == "9464", name
        if name not in ("seed", "keys", *ADMIN_SERVICES):
            assert service["depends_on"]["seed"]["condition"] == "service_completed_successfully", name
    assert services["api"]["environment"]["GOVX_API_HOST"] == "0.0.0.0"  # noqa: S104
    assert str(services["api"]["environment"]["GOVX_API_PORT"]) == "8000"


ADMIN_SERVICES = ("principals", "seed")


def test_compose_brokers_authenticate_and_authorise_every_client() -> None:
    """SASL on every listener, SCRAM-SHA-512 for clients, the StandardAuthorizer denying by default,
    and only the broker's and the admin's principals as super users; no password in the file."""
    for name, service in compose()["services"].items():
        if not name.startswith("kafka-"):
            continue
        env = {key: str(value) for key, value in service["environment"].items()}
        protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"].split(","))
        listeners = {item.split("://")[0] for item in env["KAFKA_LISTENERS"].split(",")}
        assert listeners <= set(protocols) and set(protocols.values()) == {"SASL_PLAINTEXT"}, name
        assert env["KAFKA_SASL_ENABLED_MECHANISMS"] == "SCRAM-SHA-512", name
        assert env["KAFKA_AUTHORIZER_CLASS_NAME"] == "org.apache.kafka.metadata.authorizer.StandardAuthorizer"
        assert env["KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"] == "false", name
        assert env["KAFKA_SUPER_USERS"] == "User:govx-broker;User:govx-admin", name
        assert env["KAFKA_INTER_BROKER_LISTENER_NAME"] == "INTERNAL", name
        passwords = re.findall(r'password="([^"]*)"', env["KAFKA_LISTENER_NAME_INTERNAL_PLAIN_SASL_JAAS_CONFIG"])
        assert passwords and all(p.startswith("${KAFKA_") for p in passwords), f"{name}: passwords from variables"


def test_compose_govx_services_authenticate_as_their_own_principals() -> None:
    services = _govx_services()
    for name, service in services.items():
        env = {key: str(value) for key, value in service["environment"].items()}
        assert env["GOVX_SECURITY"] == "sasl", name
        if name in ADMIN_SERVICES:
            assert env["GOVX_PRINCIPAL"] == "govx-admin" and service["restart"] == "no", name
            assert env["GOVX_SASL_PASSWORD"].startswith("${KAFKA_ADMIN_PASSWORD"), name
        else:
            assert env.get("GOVX_PRINCIPAL") != "govx-admin", f"{name}: the super user is for one-shot administration"
            assert "GOVX_SASL_PASSWORD" not in env, name
    assert services["exchange-0"]["environment"]["GOVX_PRINCIPAL"] == "govx-exchange"
    assert services["exchange-1"]["environment"]["GOVX_PRINCIPAL"] == "govx-exchange"
    assert services["api"]["environment"]["GOVX_PRINCIPAL"] == "govx-api"
    assert "--node" in services["receivers"]["command"], "a receiver reads as department nodes"
    assert services["principals"]["command"] == ["principals", "provision"]
    assert "secrets:/secrets" in services["principals"]["volumes"]
    assert services["seed"]["depends_on"]["principals"]["condition"] == "service_completed_successfully"
    for name in ("exchange-0", "exchange-1", "api", "receivers", "producers"):
        assert "secrets:/secrets:ro" in services[name]["volumes"], name


def test_compose_runs_only_existing_govx_commands() -> None:
    """Each govx service's command resolves in the `govx` command line (fails while a command the
    compose file needs, such as `govx api`, does not exist yet)."""
    import typer.main

    from govx.cli import app

    root = typer.main.get_command(app)
    for name, service in _govx_services().items():
        command: Any = root
        for word in service["command"]:
            if word.startswith("-"):
                break
            sub = getattr(command, "commands", {}).get(word)
            assert sub is not None, f"{name}: `govx {' '.join(service['command'])}` — no command {word!r}"
            command = sub
        options = {opt for param in command.params for opt in getattr(param, "opts", [])}
        for word in service["command"]:
            if word.startswith("--"):
                assert word in options, f"{name}: `govx {' '.join(service['command'])}` has no option {word}"


def test_compose_uses_only_known_govx_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    known = {ENV_PREFIX + name.upper() for name in Settings.model_fields}
    for name, service in compose()["services"].items():
        env = {key: str(value) for key, value in (service.get("environment") or {}).items()}
        govx = {key: value for key, value in env.items() if key.upper().startswith(ENV_PREFIX)}
        assert set(govx) <= known, f"{name}: unknown settings {sorted(set(govx) - known)}"
        if not govx:
            continue
        with monkeypatch.context() as patch:
            for key in [k for k in os.environ if k.upper().startswith(ENV_PREFIX)]:
                patch.delenv(key)
            for key, value in govx.items():
                patch.setenv(key, value)
            settings = load_settings()  # validates every value, as the service will at start
        assert settings.bootstrap == env["GOVX_BOOTSTRAP_SERVERS"]


def test_dockerfile_builds_the_project_on_python_311_slim() -> None:
    text = DOCKERFILE.read_text(encoding="utf-8")
    assert re.search(r"^FROM python:3\.11-slim\s*$", text, re.M)
    assert re.search(r"pip install \.", text)
    assert re.search(r'^ENTRYPOINT \["govx"\]', text, re.M)
    assert "GOVX_" not in re.sub(r"#.*", "", text), "settings belong in the compose file, not the image"
    for source in re.findall(r"^COPY (.+) \S+$", text, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), f"COPY {path}: not in the project"
