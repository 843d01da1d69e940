"""promtool over the shipped Prometheus files: the rules and configurations load, every dashboard
expression is valid PromQL, and the trickier alert expressions behave as intended on synthetic
series (`promtool test rules`). promtool comes from Debian's `prometheus` package; without it these
tests fail, they never skip."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.unit.test_deploy import (
    ALERTS,
    PROMETHEUS_CONFIG,
    PROMTOOL_HINT,
    alert_rules,
    as_promql,
    dashboard_expressions,
    local_prometheus_config,
)


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail(PROMTOOL_HINT)
    return found


def run(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, check=False, timeout=120)


def test_promtool_accepts_the_alert_rules(promtool: str) -> None:
    result = run(promtool, "check", "rules", str(ALERTS))
    assert result.returncode == 0, result.stdout + result.stderr
    expected = len(yaml.safe_load(ALERTS.read_text(encoding="utf-8"))["groups"][0]["rules"])
    assert expected == len(alert_rules()) >= 8
    assert re.search(rf"SUCCESS: {expected} rules found", result.stdout), result.stdout


def test_promtool_accepts_the_shipped_prometheus_config(promtool: str) -> None:
    result = run(promtool, "check", "config", str(PROMETHEUS_CONFIG))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 1 rule files found" in result.stdout
    assert re.search(rf"SUCCESS: {len(alert_rules())} rules found", result.stdout), result.stdout


def test_promtool_accepts_the_generated_local_config(promtool: str, tmp_path: Path) -> None:
    config = tmp_path / "prometheus.yml"
    targets = {"govx-exchange": "127.0.0.1:9464", "govx-api": "127.0.0.1:8000"}
    config.write_text(yaml.safe_dump(local_prometheus_config(targets, [ALERTS])), encoding="utf-8")
    result = run(promtool, "check", "config", str(config))
    assert result.returncode == 0, result.stdout + result.stderr
    assert re.search(rf"SUCCESS: {len(alert_rules())} rules found", result.stdout), result.stdout


def test_every_dashboard_expression_is_valid_promql(promtool: str, tmp_path: Path) -> None:
    """Each panel query, with Grafana's variables filled in, loads as a recording rule."""
    expressions = dashboard_expressions()
    rules = [{"record": f"govx:dashboard:expr{n}", "expr": as_promql(expr)} for n, (_, expr) in enumerate(expressions)]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text(yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}), encoding="utf-8")
    result = run(promtool, "check", "rules", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(expressions)} rules found" in result.stdout


# ---------------------------------------------------------------------------------------------
# promtool test rules: the shipped expressions on synthetic series


def alert(name: str) -> dict[str, Any]:
    rules = {rule["alert"]: rule for rule in alert_rules()}
    return rules[name]


def expr_test(name: str, series: dict[str, str], samples: list[tuple[str, float]], at: str = "10m") -> dict[str, Any]:
    """A promql_expr_test of alert `name`'s expression on `series` (selector → values)."""
    return {
        "interval": "1m",
        "input_series": [{"series": selector, "values": values} for selector, values in series.items()],
        "promql_expr_test": [{"expr": alert(name)["expr"], "eval_time": at,
                              "exp_samples": [{"labels": labels, "value": value} for labels, value in samples]}],
    }


def rendered(name: str, labels: dict[str, str]) -> dict[str, str]:
    """The annotations of alert `name` with `{{ $labels.x }}` filled in (only for alerts whose
    templates use nothing else)."""
    annotations: dict[str, str] = {}
    for key, template in alert(name)["annotations"].items():
        text = re.sub(r"\{\{\s*\$labels\.(\w+)\s*\}\}", lambda m: labels[m.group(1)], template)
        assert "{{" not in text, f"{name}.{key} uses more than $labels; compare it another way"
        annotations[key] = text
    return annotations


def alert_test(name: str, series: dict[str, str], at: str, firing: list[dict[str, str]]) -> dict[str, Any]:
    """An alert_rule_test: at `at`, alert `name` fires for exactly the label sets `firing`."""
    severity = alert(name)["labels"]["severity"]
    return {
        "interval": "1m",
        "input_series": [{"series": selector, "values": values} for selector, values in series.items()],
        "alert_rule_test": [{"alertname": name, "eval_time": at, "exp_alerts": [
            {"exp_labels": {**labels, "severity": severity}, "exp_annotations": rendered(name, labels)}
            for labels in firing]}],
    }


CONSUMED = 'govx_events_consumed_total{job="govx-exchange",instance="exchange-0:9464",resource="death_certificate"}'
COMMITTED = 'govx_transactions_total{job="govx-exchange",instance="exchange-0:9464",result="committed"}'
ABORTED = 'govx_transactions_total{job="govx-exchange",instance="exchange-0:9464",result="aborted"}'


def dead(reason: str) -> str:
    return f'govx_dead_letters_total{{job="govx-exchange",instance="exchange-0:9464",reason="{reason}"}}'


def up(instance: str) -> str:
    return f'up{{job="govx-exchange",instance="{instance}"}}'


RULE_TESTS: dict[str, dict[str, Any]] = {
    "error ratio is empty (no alert) while nothing fails, though no dead-letter or aborted series exists":
        expr_test("GovxErrorRatioHigh", {CONSUMED: "0+600x20", COMMITTED: "0+6x20"}, []),
    "error ratio counts dead letters when no transaction ever aborted":
        expr_test("GovxErrorRatioHigh", {CONSUMED: "0+600x20", COMMITTED: "0+6x20", dead("avro.decode"): "0+60x20"},
                  [("{}", 0.1)]),
    "error ratio adds aborted transactions to both sides":
        expr_test("GovxErrorRatioHigh", {CONSUMED: "0+540x20", COMMITTED: "0+6x20", dead("avro.decode"): "0+30x20",
                                         ABORTED: "0+60x20"}, [("{}", 0.15)]),
    "error ratio is 1 when every transaction aborts":
        expr_test("GovxErrorRatioHigh", {CONSUMED: "600x20", COMMITTED: "6x20", ABORTED: "0+6x20"}, [("{}", 1.0)]),
    "every transaction aborting is detected":
        expr_test("GovxTransactionsAllAborting", {COMMITTED: "6x20", ABORTED: "0+6x20"}, [("{}", 0.1)]),
    "aborts between commits are not 'all aborting'":
        expr_test("GovxTransactionsAllAborting", {COMMITTED: "0+6x20", ABORTED: "0+6x20"}, []),
    "the dead-letter rate leaves malformed directory events out":
        expr_test("GovxDeadLetterRateHigh", {CONSUMED: "0+600x20", dead("directory.invalid"): "0+60x20"}, []),
    "the dead-letter rate is dead letters over consumed events":
        expr_test("GovxDeadLetterRateHigh", {CONSUMED: "0+600x20", dead("id.checksum"): "0+30x20",
                                             dead("directory.invalid"): "0+60x20"}, [("{}", 0.05)]),
    "lag in records is summed over the workers holding the topic's partitions":
        expr_test("GovxConsumerLagRecordsHigh", {
            'govx_consumer_lag_records{instance="exchange-0:9464",group="govx-exchange",topic="gov.src.a"}': "6000x20",
            'govx_consumer_lag_records{instance="exchange-1:9464",group="govx-exchange",topic="gov.src.a"}': "5000x20",
            'govx_consumer_lag_records{instance="exchange-1:9464",group="govx-exchange",topic="gov.src.b"}': "9000x20",
        }, [('{group="govx-exchange",topic="gov.src.a"}', 11000)]),
    "no exchange worker up at all":
        expr_test("GovxExchangeAllWorkersDown", {up("exchange-0:9464"): "0x20", up("exchange-1:9464"): "0x20"},
                  [("{}", 1)]),
    "one worker up is not 'all down'":
        expr_test("GovxExchangeAllWorkersDown", {up("exchange-0:9464"): "0x20", up("exchange-1:9464"): "1x20"}, []),
    "a transaction open for over 30 s for a minute fires, naming the worker":
        alert_test("GovxTransactionStuck", {
            'govx_exchange_transaction_open_seconds{job="govx-exchange",instance="exchange-0:9464"}': "0 0 40 100 160",
            'govx_exchange_transaction_open_seconds{job="govx-exchange",instance="exchange-1:9464"}': "0 0 0 0 0",
        }, "4m", [{"instance": "exchange-0:9464"}]),
    "short transactions, however many, are not stuck":
        alert_test("GovxTransactionStuck", {
            'govx_exchange_transaction_open_seconds{job="govx-exchange",instance="exchange-0:9464"}': "0.01 0 0.2 0 25",
        }, "4m", []),
    "overdue approvals alert once overdue for 15 minutes":
        expr_test("GovxApplicationsOverdue", {'govx_applications_overdue{instance="api:8000"}': "0 3x30",
                                              'govx_applications_overdue{instance="exchange-0:9464"}': "0x30"},
                  [("{}", 3)], at="20m"),
    "a worker down fires after its `for`, naming the instance":
        alert_test("GovxExchangeWorkerDown", {up("exchange-0:9464"): "1 1 0 0 0 0", up("exchange-1:9464"): "1x5"},
                   "5m", [{"job": "govx-exchange", "instance": "exchange-0:9464"}]),
    "a worker down for less than `for` does not fire":
        alert_test("GovxExchangeWorkerDown", {up("exchange-0:9464"): "1 1 1 1 0"}, "4m", []),
    "one delivery beyond a grant fires at once":
        alert_test("GovxReceiverViolation", {
            'govx_receiver_violations_total{job="govx-receivers",instance="r:9464",consumer_department="gongan"}':
                "0 0 0 1 1 1",
            'govx_receiver_violations_total{job="govx-receivers",instance="r:9464",consumer_department="minzheng"}':
                "0x5",
        }, "4m", [{"consumer_department": "gongan"}]),
}


def test_alert_expressions_behave_on_synthetic_series(promtool: str, tmp_path: Path) -> None:
    names = list(RULE_TESTS)
    document = {"rule_files": [str(ALERTS)], "evaluation_interval": "1m", "tests": list(RULE_TESTS.values())}
    path = tmp_path / "alerts-test.yml"
    path.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    result = run(promtool, "test", "rules", str(path))
    assert result.returncode == 0, f"cases in order: {names}\n{result.stdout}{result.stderr}"
    assert "SUCCESS" in result.stdout
