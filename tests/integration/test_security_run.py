"""`govx run --scenario smoke` on the secure broker: every child as its own principal, nothing lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from exchange.kafka.access import current_rules
from exchange.kafka.admin import Admin
from tests.integration.conftest import SecureCluster

pytestmark = pytest.mark.integration


def test_the_smoke_scenario_on_the_secure_cluster_loses_and_duplicates_nothing(
        secure_cluster: SecureCluster, env_without_govx: dict[str, str], tmp_path: Path) -> None:
    report = tmp_path / "report"
    result = subprocess.run(  # noqa: S603 - our own CLI
        [sys.executable, "-m", "govx.cli", "run", "--scenario", "smoke", "--report", str(report), "--no-live"],
        env={**env_without_govx, **secure_cluster.env}, capture_output=True, text=True, timeout=420, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    summary = json.loads((report / "report.json").read_text(encoding="utf-8"))
    assert summary["lost"] == 0 and summary["duplicates"] == 0 and summary["unexpected"] == 0
    assert summary["deliveries"] == summary["expected_deliveries"] > 0
    assert summary["dead_letters"] == summary["dead_letters_expected"] != {}
    receiver_ledgers = list((report / "ledgers").glob("receiver-0.*.jsonl"))
    assert len(receiver_ledgers) > 10  # one per consumer node: each read its inbox as itself
    assert not (report / ".secrets").exists()  # the children's credential files are gone
    admin = Admin(secure_cluster.bootstrap, security=secure_cluster.admin)
    try:
        assert not any(rule.name.startswith("run-smoke") for rule in current_rules(admin))  # ACLs revoked
    finally:
        admin.close()
