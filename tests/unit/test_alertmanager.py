"""The compose stack's Alertmanager: its configuration passes `amtool check-config`, and `amtool config
routes test` sends every alert of deploy/prometheus/alerts.yml to the receiver its own route names —
never to the catch-all. amtool comes from Debian's `prometheus-alertmanager` package (`make tools`);
without it these tests fail, they never skip."""

from __future__ import annotations

import shutil
import subprocess
from typing import Any

import pytest

from tests.unit.test_deploy import COMPOSE, DEPLOY, PROMETHEUS_CONFIG, alert_rules, load_yaml

ALERTMANAGER_CONFIG = DEPLOY / "alertmanager" / "alertmanager.yml"
AMTOOL_HINT = ("amtool is missing: install Debian's `prometheus-alertmanager` package (`make tools`, or "
               "`apt-get install -y prometheus-alertmanager`)")
RULES = alert_rules()


@pytest.fixture(scope="module")
def amtool() -> str:
    found = shutil.which("amtool")
    if found is None:
        pytest.fail(AMTOOL_HINT)
    return found


def routed_receiver(amtool: str, labels: dict[str, str]) -> str:
    result = subprocess.run([amtool, "config", "routes", "test", f"--config.file={ALERTMANAGER_CONFIG}",
                             *(f"{k}={v}" for k, v in labels.items())],
                            capture_output=True, text=True, check=True, timeout=60)
    return result.stdout.strip()


def _routes() -> list[dict[str, Any]]:
    routes: list[dict[str, Any]] = load_yaml(ALERTMANAGER_CONFIG)["route"]["routes"]
    return routes


def test_amtool_accepts_the_configuration(amtool: str) -> None:
    result = subprocess.run([amtool, "check-config", str(ALERTMANAGER_CONFIG)], capture_output=True, text=True,
                            check=False, timeout=60)
    assert result.returncode == 0 and "SUCCESS" in result.stdout, result.stdout + result.stderr


def test_every_alert_has_exactly_one_route_of_its_own() -> None:
    named = [matcher for route in _routes() for matcher in route["matchers"]]
    assert sorted(named) == sorted(f'alertname="{rule["alert"]}"' for rule in RULES)


@pytest.mark.parametrize("rule", RULES, ids=lambda rule: str(rule["alert"]))
def test_amtool_routes_each_alert_to_its_receiver(amtool: str, rule: dict[str, Any]) -> None:
    own = next(r for r in _routes() if f'alertname="{rule["alert"]}"' in r["matchers"])
    receiver = routed_receiver(amtool, {"alertname": rule["alert"], **rule["labels"]})
    assert receiver == own["receiver"] != load_yaml(ALERTMANAGER_CONFIG)["route"]["receiver"]


def test_critical_alerts_never_reach_a_ticket_queue(amtool: str) -> None:
    for rule in RULES:
        if rule["labels"]["severity"] == "critical":
            assert routed_receiver(amtool, {"alertname": rule["alert"], "severity": "critical"}) != "exchange-tickets"


def test_an_alert_without_a_route_falls_to_the_catch_all(amtool: str) -> None:
    assert routed_receiver(amtool, {"alertname": "SomethingElse", "severity": "critical"}) == "govx-default"


def test_prometheus_sends_its_alerts_to_the_compose_alertmanager() -> None:
    targets = [t for manager in load_yaml(PROMETHEUS_CONFIG)["alerting"]["alertmanagers"]
               for static in manager["static_configs"] for t in static["targets"]]
    services = load_yaml(COMPOSE)["services"]
    assert targets == ["alertmanager:9093"] and "alertmanager" in services
    alertmanager = services["alertmanager"]
    assert alertmanager["image"].startswith("prom/alertmanager:")
    assert "./alertmanager:/etc/alertmanager:ro" in alertmanager["volumes"]
    assert "--config.file=/etc/alertmanager/alertmanager.yml" in alertmanager["command"]
