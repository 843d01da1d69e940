"""`govx report compare`: the relative change per figure, the verdict against thresholds, JUnit XML."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from xml.etree import ElementTree  # noqa: S405 — parses only XML this test made

import pytest

from govx.cli import main
from loadtest.compare import Thresholds, compare
from loadtest.compare_output import junit, lines

THRESHOLDS = Thresholds(max_p99_regression=0.5, max_throughput_drop=0.2, min_p99_change_ms=50.0)


def report(p99: float = 200.0, events_per_s: float = 40.0, deliveries_per_s: float = 160.0, lost: int = 0,
           duplicates: int = 0, sha: str = "s1") -> dict[str, Any]:
    return {"events_produced": 400, "deliveries": 1600, "throughput_events_per_s": events_per_s,
            "deliveries_per_s": deliveries_per_s, "lost": lost, "duplicates": duplicates, "unexpected": 0,
            "violations": 0, "dead_letters_match": True,
            "latency_ms": {"p50": 50.0, "p75": 80.0, "p95": 150.0, "p99": p99, "p999": p99 * 1.2,
                           "p9999": p99 * 1.3, "max": p99 * 1.5},
            "publish_delay_ms": {"p50": 2.0, "p99": 9.0, "max": 20.0},
            "batch_processing_ms": {"p50": 10.0, "p99": 80.0, "max": 100.0},
            "run": {"scenario": {"sha256": sha}}}


def test_the_same_figures_compare_as_equal_with_zero_change() -> None:
    result = compare(report(), report(), THRESHOLDS)
    assert result.ok and result.failures == []
    assert result.row("latency_ms.p99").change == 0.0 and result.row("lost").change is None
    assert result.notes == ()


def test_small_noise_within_the_thresholds_passes() -> None:
    result = compare(report(), report(p99=280.0, events_per_s=35.0), THRESHOLDS)
    assert result.ok
    assert result.row("latency_ms.p99").change == pytest.approx(0.4)
    assert result.row("throughput_events_per_s").change == pytest.approx(-0.125)


def test_a_p99_regression_beyond_the_threshold_fails() -> None:
    result = compare(report(), report(p99=450.0), THRESHOLDS)
    assert not result.ok and len(result.failures) == 1
    assert "p99 latency grew +125.0 %" in result.failures[0]


def test_a_large_relative_p99_growth_under_the_noise_floor_is_not_a_regression() -> None:
    assert compare(report(p99=12.0), report(p99=40.0), THRESHOLDS).ok
    assert not compare(report(p99=12.0), report(p99=70.0), THRESHOLDS).ok


def test_a_throughput_drop_beyond_the_threshold_fails() -> None:
    result = compare(report(), report(deliveries_per_s=100.0), THRESHOLDS)
    assert result.failures == ["delivery rate dropped 37.5 % (160.0 → 100.0 deliveries/s), more than the allowed "
                               "20.0 %"]


@pytest.mark.parametrize(("lost", "duplicates"), [(1, 0), (0, 2)])
def test_anything_lost_or_duplicated_fails_whatever_the_baseline(lost: int, duplicates: int) -> None:
    flawed = report(lost=lost, duplicates=duplicates)
    result = compare(flawed, flawed, THRESHOLDS)
    assert not result.ok and result.failures[0].startswith("NEW is not clean")


def test_runs_of_different_scenarios_are_compared_with_a_note() -> None:
    assert compare(report(sha="a"), report(sha="b"), THRESHOLDS).notes == (
        "the runs are of different scenarios (their sha256 differ)",)


def test_the_text_shows_both_runs_and_the_change_per_figure() -> None:
    text = lines(compare(report(), report(p99=450.0), THRESHOLDS), THRESHOLDS)
    row = next(line for line in text if line.startswith("e2e latency p99 "))
    assert row.split() == ["e2e", "latency", "p99", "200", "ms", "450", "ms", "+125.0", "%"]
    assert text[-2].startswith("REGRESSION")


def test_junit_xml_is_valid_with_one_case_per_check_and_the_failure() -> None:
    document = ElementTree.fromstring(junit(compare(report(), report(p99=450.0, lost=3), THRESHOLDS)))  # noqa: S314
    suite = document.find("testsuite")
    assert suite is not None and suite.get("tests") == "4" and suite.get("failures") == "2"
    failed = [case.get("name") for case in suite.iter("testcase") if case.find("failure") is not None]
    assert failed == ["nothing lost, duplicated or misdelivered", "end-to-end p99 latency within threshold"]


def _folder(tmp_path: Path, name: str, content: dict[str, Any]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "report.json").write_text(json.dumps(content), encoding="utf-8")
    return folder


def test_the_command_exits_1_on_regression_0_within_thresholds_and_writes_junit(tmp_path: Path) -> None:
    base, same, slow = (_folder(tmp_path, n, r) for n, r in (("base", report()), ("same", report(p99=210.0)),
                                                              ("slow", report(p99=900.0))))
    assert main(["report", "compare", str(base), str(same)]) == 0
    assert main(["report", "compare", str(base), str(slow), "--junit", str(tmp_path / "out" / "j.xml")]) == 1
    assert ElementTree.parse(tmp_path / "out" / "j.xml").getroot().tag == "testsuites"  # noqa: S314
    assert main(["report", "compare", str(base), str(slow), "--max-p99-regression", "5"]) == 0


def test_a_folder_without_a_report_is_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["report", "compare", str(empty), str(empty)]) != 0
    assert "holds no report.json" in capsys.readouterr().err
