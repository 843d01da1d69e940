"""How `govx check` shows its report: a table, JSON, or JUnit XML for a department's CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # noqa: S405 - writing XML, never parsing it
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from exchange.core.contract import ContractReport


def as_json(report: ContractReport, skipped: int) -> dict[str, Any]:
    return {"checked": len(report.verdicts), "valid": report.counts.get("ok", 0), "invalid": report.failed,
            "skipped": skipped, "passed": report.passed and bool(report.verdicts),
            "reasons": {reason: {"count": count, "examples": [vars(v) for v in report.examples[reason]]}
                        for reason, count in sorted(report.counts.items()) if reason != "ok"}}


def print_table(console: Console, report: ContractReport, skipped: int) -> None:
    table = Table(title="govx check: each event validated as the exchange does")
    for column in ("reason", "events", "first example"):
        table.add_column(column)
    for reason, count in sorted(report.counts.items(), key=lambda item: (item[0] == "ok", item[0])):
        first = report.examples[reason][0]
        example = "" if reason == "ok" else f"{first.where} ce_id={first.event_id or '-'}: {first.detail}"
        table.add_row(reason, str(count), example)
    console.print(table)
    verdict = "[green]PASS[/]" if report.passed and report.verdicts else "[bold red]FAIL[/]"
    others = f", {skipped} of other nodes skipped" if skipped else ""
    console.print(f"{verdict}: {len(report.verdicts)} events checked, {report.counts.get('ok', 0)} valid, "
                  f"{report.failed} would be dead-lettered{others}", highlight=False)


def write_junit(report: ContractReport, path: Path) -> None:
    """One test case per event; an invalid event is a failure whose type is its reason code."""
    suites = ET.Element("testsuites", name="govx check", tests=str(len(report.verdicts)),
                        failures=str(report.failed), errors="0")
    suite = ET.SubElement(suites, "testsuite", name="govx check", tests=str(len(report.verdicts)),
                          failures=str(report.failed), errors="0", skipped="0")
    for verdict in report.verdicts:
        case = ET.SubElement(suite, "testcase", classname=f"govx.{verdict.resource or 'unknown'}",
                             name=f"{verdict.where} {verdict.event_id}".strip())
        if verdict.reason is not None:
            failure = ET.SubElement(case, "failure", message=f"{verdict.reason}: {verdict.detail}", type=verdict.reason)
            failure.text = verdict.detail
    ET.ElementTree(suites).write(path, encoding="utf-8", xml_declaration=True)
