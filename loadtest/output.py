"""Writing a report folder: `report.json`, `summary.txt` and `chart.html`."""

from __future__ import annotations

import json
from pathlib import Path

from loadtest import charts
from loadtest.percentiles import LABELS
from loadtest.report import Report


def _verdict(report: Report) -> str:
    if report.ok:
        return "OK: nothing lost, nothing duplicated, every bad event dead-lettered for its reason"
    problems = [f"{n} {what}" for n, what in ((report.lost, "lost"), (report.duplicates, "duplicated"),
                                             (report.unexpected, "unexpected"), (report.violations, "beyond grant"))
                if n]
    if not report.dead_letters_match:
        problems.append("dead letters differ from the deliberately bad events")
    return "FAILED: " + ", ".join(problems)


def _standard(summary: dict[str, float]) -> str:
    if not summary:
        return "not measured"
    return "  ".join(f"{label} {summary.get(key, 0.0):.0f}" for key, label in LABELS.items())


def summary_facts(report: Report) -> list[tuple[str, str]]:
    """The summary as (label, value) pairs: the text summary and the chart page's table."""
    facts = [
        ("scenario", f"{report.scenario}{'  (interrupted: partial report)' if report.interrupted else ''}"),
        ("events produced", f"{report.events_produced} ({report.events_produced - report.events_valid} "
                            "deliberately bad)"),
        ("deliveries", f"{report.deliveries} of {report.expected_deliveries} expected from the grants"),
        ("lost / duplicated", f"{report.lost} / {report.duplicates}   unexpected {report.unexpected}   "
                              f"beyond grant {report.violations}"),
        ("skipped", _pairs(report.skipped)),
        ("dead letters", _pairs(report.dead_letters)),
        ("throughput", f"{report.throughput_events_per_s:.1f} events/s, {report.deliveries_per_s:.1f} deliveries/s"),
        ("e2e latency ms", _standard(report.latency_ms) + "   (from the intended send time)"),
        ("publish delay ms", _standard(report.publish_delay_ms) + "   (actual against intended send time)"),
        ("batch time ms", _standard(report.batch_processing_ms) + "   (per exchange batch, histogram estimate)"),
        ("took", f"{report.duration_s:.1f} s from the first intended send to the last receipt"),
    ]
    peak = report.details.get("peak")
    if peak:
        facts.append(("peak", f"sustained {peak['sustained_events_per_s']:.0f} events/s; {peak['verdict']}"))
    return facts


def summary_lines(report: Report) -> list[str]:
    return [*(f"{label:<22}{value}" for label, value in summary_facts(report)), _verdict(report)]


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def write_report(report: Report, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    (folder / "summary.txt").write_text("\n".join(summary_lines(report)) + "\n", encoding="utf-8")
    facts = {**dict(summary_facts(report)), "verdict": _verdict(report)}
    (folder / "chart.html").write_text(charts.render(f"govx run — {report.scenario}", report, facts),
                                       encoding="utf-8")
