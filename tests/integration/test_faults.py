"""Fault scenarios on the single test broker: a worker frozen (SIGSTOP) past its transaction timeout and
continued — fenced, it rebuilds its producer and re-reads — and a receiver SIGKILLed and started again
on the same ledger. The run ends with every expected delivery delivered once, the faults and their
recovery times in the report, and a folder `govx report` rebuilds."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from govx.cli import main

pytestmark = pytest.mark.integration

SCENARIO = """
name = "frozen"
description = "a worker frozen past its transaction timeout, a receiver killed and restarted"
duration_s = 12
ramp_up_s = 0.5
seed = 5
bad_share = 0.02
workers = 2
partitions = 2
receivers = 1
drain_timeout_s = 120
exchange_batch_delay_ms = 400  # each batch held in its open transaction: the freeze lands inside one

[[nodes]]
division = "440106"
departments = ["weijian", "gongan", "scjg", "minzheng"]
rate = 3

[[faults]]
at_s = 3
action = "stop"
target = "worker-1"
restart_after_s = 20

[[faults]]
at_s = 6
action = "kill"
target = "receiver-0"
restart_after_s = 2
"""

ZOMBIE_FENCED = (r"CommitFailedError|ProducerFenced|InvalidProducerEpoch|PRODUCER_FENCED|INVALID_PRODUCER_EPOCH"
                 r"|ILLEGAL_GENERATION|UNKNOWN_MEMBER_ID|building a new transactional producer"
                 r"|a rebalance took partitions of the open transaction")


def test_a_frozen_worker_and_a_killed_receiver_lose_and_duplicate_nothing(bootstrap: str, tmp_path: Path) -> None:
    scenario = tmp_path / "frozen.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    folder = tmp_path / "report"
    status = main(["run", "--scenario", str(scenario), "--report", str(folder), "--no-live"])
    summary = (folder / "summary.txt").read_text(encoding="utf-8")
    print(summary)
    report: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    assert status == 0, summary
    assert report["lost"] == report["duplicates"] == report["unexpected"] == 0
    assert report["deliveries"] == report["expected_deliveries"] > 200
    faults = {fault["target"]: fault for fault in report["details"]["faults"]}
    assert set(faults) == {"worker-1", "receiver-0"}, faults  # no unplanned death
    assert all(fault["recovered_s"] is not None and fault["restarted_at_s"] is not None for fault in faults.values())
    assert "recovered in" in summary
    worker_log = (folder / "logs" / "exchange-1.log").read_text(encoding="utf-8")
    # thawed after its transaction timed out and its group moved on, the zombie did not commit it: the
    # broker refused it (KIP-447: its offsets refused, or its producer epoch bumped), or its first call hung
    # past its deadline and the producer it built fenced the old epoch, or it saw the revocation first and
    # aborted — on either client — and it recovered instead of exiting
    assert re.search(ZOMBIE_FENCED, worker_log), worker_log[-2000:]
    assert main(["report", str(folder)]) == 0
    assert json.loads((folder / "report.json").read_text(encoding="utf-8"))["details"]["faults"] == \
        report["details"]["faults"]
