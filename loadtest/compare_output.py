"""A comparison of two runs as text (side by side, relative change) and as JUnit XML for CI."""

from __future__ import annotations

import time
from xml.etree import ElementTree  # noqa: S405 — builds XML, never parses any

from loadtest.compare import Comparison, Row, Thresholds


def _number(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    text = f"{value:.1f}" if unit.endswith("/s") or (value and abs(value) < 10 and value != int(value)) \
        else f"{value:.0f}"
    return f"{text} {unit}".strip()


def _change(row: Row) -> str:
    if row.change is not None:
        return f"{row.change * 100:+.1f} %"
    return "=" if row.base == row.new else "—"


def lines(comparison: Comparison, thresholds: Thresholds) -> list[str]:
    """The table, the notes and the verdict, one line each."""
    width = max(len(row.label) for row in comparison.rows)
    out = [f"BASE  {comparison.base}", f"NEW   {comparison.new}", "",
           f"{'figure':<{width}}  {'BASE':>16}  {'NEW':>16}  {'change':>9}"]
    out += [f"{row.label:<{width}}  {_number(row.base, row.unit):>16}  {_number(row.new, row.unit):>16}  "
            f"{_change(row):>9}" for row in comparison.rows]
    out += ["", *(f"note: {note}" for note in comparison.notes)]
    limits = (f"p99 +{thresholds.max_p99_regression * 100:g} % and +{thresholds.min_p99_change_ms:g} ms, "
              f"throughput −{thresholds.max_throughput_drop * 100:g} %, nothing lost or duplicated")
    if comparison.ok:
        return [*out, f"OK: NEW is within the thresholds ({limits})"]
    return [*out, f"REGRESSION ({limits}):", *(f"  - {failure}" for failure in comparison.failures)]


def junit(comparison: Comparison) -> str:
    """One JUnit test suite, one test case per check of the verdict."""
    suite = ElementTree.Element("testsuite", name="govx report compare", tests=str(len(comparison.checks)),
                                failures=str(len(comparison.failures)), errors="0", skipped="0", time="0",
                                timestamp=time.strftime("%Y-%m-%dT%H:%M:%S"))
    properties = ElementTree.SubElement(suite, "properties")
    for name, value in (("base", comparison.base), ("new", comparison.new)):
        ElementTree.SubElement(properties, "property", name=name, value=value)
    for check in comparison.checks:
        case = ElementTree.SubElement(suite, "testcase", classname="govx.loadtest", name=check.name, time="0")
        if check.failure:
            ElementTree.SubElement(case, "failure", message=check.failure, type="regression").text = check.failure
    table = ElementTree.SubElement(suite, "system-out")
    table.text = "\n".join(f"{row.label}: {row.base} -> {row.new}" for row in comparison.rows)
    document = ElementTree.Element("testsuites")
    document.append(suite)
    ElementTree.indent(document)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(document, encoding="unicode") + "\n"
