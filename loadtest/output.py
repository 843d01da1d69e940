"""Writing a report folder: `report.json`, `summary.txt` and `chart.html`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from loadtest import chart
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


def summary_lines(report: Report) -> list[str]:
    latency = report.latency_ms
    lines = [
        f"scenario              {report.scenario}{'  (interrupted: partial report)' if report.interrupted else ''}",
        f"events produced       {report.events_produced} ({report.events_produced - report.events_valid} "
        "deliberately bad)",
        f"deliveries            {report.deliveries} of {report.expected_deliveries} expected from the grants",
        f"lost / duplicated     {report.lost} / {report.duplicates}   unexpected {report.unexpected}   "
        f"beyond grant {report.violations}",
        f"skipped               {_pairs(report.skipped)}",
        f"dead letters          {_pairs(report.dead_letters)}",
        f"throughput            {report.throughput_events_per_s:.1f} events/s, {report.deliveries_per_s:.1f} "
        "deliveries/s",
        f"latency (ms, from the intended send time)  p50 {latency['p50']:.0f}  p95 {latency['p95']:.0f}  "
        f"p99 {latency['p99']:.0f}  p99.9 {latency['p999']:.0f}  max {latency['max']:.0f}",
        f"took                  {report.duration_s:.1f} s from the first intended send to the last receipt",
    ]
    peak = report.details.get("peak")
    if peak:
        lines.append(f"peak                  sustained {peak['sustained_events_per_s']:.0f} events/s; "
                     f"{peak['verdict']}")
    lines += fault_lines(report.details.get("faults", []))
    return [*lines, _verdict(report)]


def fault_lines(faults: list[dict[str, Any]]) -> list[str]:
    """One line per fault: what struck when, when the target came back, and the time to recover."""
    lines = []
    for fault in faults:
        back = f", back at {fault['restarted_at_s']:.1f} s" if fault.get("restarted_at_s") is not None else ""
        recovered = fault.get("recovered_s")
        took = f"recovered in {recovered:.1f} s" if recovered is not None else "NOT recovered by the end of the run"
        kind = "" if fault.get("planned", True) else "UNPLANNED "
        note = f" ({fault['note']})" if fault.get("note") else ""
        lines.append(f"fault                 {kind}{fault['action']} {fault['target']} at {fault['at_s']:.1f} s"
                     f"{back}: {took}{note}")
    return lines


def _pairs(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def write_report(report: Report, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "report.json").write_text(json.dumps(report.as_json(), ensure_ascii=False, indent=2) + "\n",
                                        encoding="utf-8")
    (folder / "summary.txt").write_text("\n".join(summary_lines(report)) + "\n", encoding="utf-8")
    facts = {line[:22].strip(): line[22:].strip() for line in summary_lines(report)[:-1] if len(line) > 22}
    facts["verdict"] = _verdict(report)
    (folder / "chart.html").write_text(chart.render(f"govx run — {report.scenario}", report.timeline, facts),
                                       encoding="utf-8")
