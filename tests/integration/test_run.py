"""`govx run` end to end on the real broker, and the ledger proving it catches loss and duplicates."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govx.cli import main

pytestmark = pytest.mark.integration

TINY = """
name = "tiny"
description = "one district, three departments, a few seconds"
duration_s = 4
ramp_up_s = 0.5
warmup_s = 1
seed = 7
bad_share = 0.1
workers = 2
partitions = 2

[[nodes]]
division = "440106"
departments = ["weijian", "scjg", "minzheng"]
rate = 2.0
"""


@pytest.fixture(scope="module")
def finished_run(tmp_path_factory: pytest.TempPathFactory, bootstrap: str) -> Path:
    folder = tmp_path_factory.mktemp("run")
    scenario = folder / "tiny.toml"
    scenario.write_text(TINY, encoding="utf-8")
    report = folder / "report"
    assert main(["run", "--scenario", str(scenario), "--report", str(report), "--no-live"]) == 0
    return report


def _report(folder: Path) -> dict[str, Any]:
    result: dict[str, Any] = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    return result


def test_a_run_writes_a_verified_report_with_nothing_lost(finished_run: Path) -> None:
    report = _report(finished_run)
    for key in ("events_produced", "deliveries", "skipped", "dead_letters", "lost", "duplicates",
                "throughput_events_per_s", "latency_ms"):
        assert key in report
    assert report["lost"] == 0 and report["duplicates"] == 0 and report["unexpected"] == 0
    assert report["events_produced"] > 10 and report["deliveries"] == report["expected_deliveries"]
    standard = {"p50", "p75", "p95", "p99", "p999", "p9999", "max"}
    for measured in ("latency_ms", "publish_delay_ms", "batch_processing_ms"):
        assert set(report[measured]) >= standard, measured
    assert report["latency_ms"]["p50"] <= report["latency_ms"]["p99"] <= report["latency_ms"]["max"]
    assert report["batch_processing_ms"]["count"] > 0 and report["publish_delay_ms"]["count"] > 10
    assert report["timeline"][0].keys() >= {"produced", "delivered", "dead_lettered", "p9999", "publish_p99"}
    assert any(row["batches"] > 0 for row in report["scraped"]) and "lag_exchange" in report["scraped"][-1]
    assert report["dead_letters"] == report["dead_letters_expected"] != {}
    assert 'id="latency"' in (finished_run / "chart.html").read_text(encoding="utf-8")
    assert "OK:" in (finished_run / "summary.txt").read_text(encoding="utf-8")


def test_the_report_says_what_ran(finished_run: Path) -> None:
    run = _report(finished_run)["run"]
    assert run["namespace"].startswith("run-tiny-")
    versions = run["versions"]
    assert versions["govx"] and versions["kafka_broker"].startswith(versions["kafka_local_broker_pinned"][:3])
    assert versions["clients"]["kafka-python"] and "confluent-kafka" in versions["clients"]
    assert run["machine"]["cores"] >= 1 and run["machine"]["memory_bytes"] > 2**28
    scenario = run["scenario"]
    assert scenario["as_run"]["duration_s"] == 4 and scenario["as_run"]["workers"] == 2
    assert len(scenario["sha256"]) == 64 and len(scenario["file_sha256"]) == 64
    settings = run["settings"]
    assert (settings["workers"], settings["partitions"], settings["exchange_max_batch"]) == (2, 2, 500)
    assert "transaction" in settings["exchange_commit"] and settings["producer"]["acks"] == "all"


def test_deleted_deliveries_show_up_as_lost_and_fail_the_report(finished_run: Path, tmp_path: Path) -> None:
    copy = _copy(finished_run, tmp_path)
    ledger = copy / "ledgers" / "receiver-0.jsonl"
    lines = ledger.read_text(encoding="utf-8").splitlines(keepends=True)
    ledger.write_text("".join(lines[5:]), encoding="utf-8")
    assert main(["report", str(copy)]) == 1
    assert _report(copy)["lost"] == 5


def test_a_delivery_read_at_two_offsets_is_a_duplicate(finished_run: Path, tmp_path: Path) -> None:
    copy = _copy(finished_run, tmp_path)
    ledger = copy / "ledgers" / "receiver-0.jsonl"
    entry = json.loads(ledger.read_text(encoding="utf-8").splitlines()[0])
    replayed = {**entry, "offset": entry["offset"]}
    duplicated = {**entry, "offset": entry["offset"] + 100_000}
    with ledger.open("a", encoding="utf-8") as out:
        out.write(json.dumps(replayed) + "\n" + json.dumps(duplicated) + "\n")
    assert main(["report", str(copy)]) == 1
    report = _report(copy)
    assert report["duplicates"] == 1 and report["lost"] == 0


def _copy(folder: Path, target: Path) -> Path:
    import shutil

    return Path(shutil.copytree(folder, target / "copy"))


def test_ctrl_c_stops_the_run_and_still_writes_a_partial_report(tmp_path: Path, bootstrap: str,
                                                                 env_without_govx: dict[str, str]) -> None:
    import os
    import signal
    import subprocess
    import sys
    import time

    scenario = tmp_path / "long.toml"
    scenario.write_text(TINY.replace("duration_s = 4", "duration_s = 120"), encoding="utf-8")
    report = tmp_path / "report"
    env = {**env_without_govx, "GOVX_BOOTSTRAP_SERVERS": bootstrap}
    run = subprocess.Popen([sys.executable, "-m", "govx.cli", "run", "--scenario", str(scenario), "--report",
                            str(report), "--no-live"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        ledger = report / "ledgers" / "producer-0.jsonl"
        deadline = time.monotonic() + 90
        while not (ledger.exists() and ledger.stat().st_size > 2000):
            assert time.monotonic() < deadline and run.poll() is None, "the producers never started"
            time.sleep(0.2)  # watching a file another process writes; no event to wait on
        os.kill(run.pid, signal.SIGINT)
        run.wait(120)
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
    result = _report(report)
    assert result["interrupted"] is True and result["events_produced"] > 0
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert "interrupted" in (report / "summary.txt").read_text(encoding="utf-8")


# The release gate. The thresholds below are wide because this shared 2-core machine is noisy: two
# runs of this 4 s scenario were seen 312 ms and 1 913 ms apart at p99, the second's producer having
# stalled for a second (publish delay p99 1 132 ms). The planted slowdown — every exchange batch held
# 5 s — puts every delivery at 5 s or more and doubles the run's length by the drain.
GATE = '\nbaseline = "{baseline}"\n'
THRESHOLDS = "\n[thresholds]\nmax_p99_regression = 1.0\nmin_p99_change_ms = 2500\nmax_throughput_drop = 0.3\n"


def _gated_run(folder: Path, baseline: Path, name: str, extra: str = "") -> tuple[int, Path]:
    scenario = folder / f"{name}.toml"
    top = GATE.format(baseline=baseline) + extra
    scenario.write_text(TINY.replace("partitions = 2\n", "partitions = 2" + top) + THRESHOLDS, encoding="utf-8")
    junit = folder / f"{name}.xml"
    status = main(["run", "--scenario", str(scenario), "--report", str(folder / name), "--no-live",
                   "--junit", str(junit)])
    return status, junit


def test_a_second_run_of_the_same_scenario_is_within_the_thresholds_of_the_first(finished_run: Path,
                                                                                   tmp_path: Path) -> None:
    status, junit = _gated_run(tmp_path, finished_run, "again")
    assert status == 0, junit.read_text(encoding="utf-8")
    assert 'failures="0"' in junit.read_text(encoding="utf-8")


def test_a_throttled_exchange_is_flagged_as_a_regression(finished_run: Path, tmp_path: Path) -> None:
    status, junit = _gated_run(tmp_path, finished_run, "throttled", "exchange_batch_delay_ms = 5000\n")
    assert status == 1
    text = junit.read_text(encoding="utf-8")
    assert "<failure" in text and ("p99 latency grew" in text or "dropped" in text)
    throttled = _report(tmp_path / "throttled")
    assert throttled["ok"] and throttled["latency_ms"]["p50"] >= 5000
    assert throttled["batch_processing_ms"]["p50"] >= 4000
    assert throttled["run"]["settings"]["exchange_batch_delay_ms"] == 5000
