"""`govx report compare BASE NEW`: two runs side by side, and whether NEW regressed against BASE.

Every figure of the two `report.json` files is shown with its relative change. The verdict:

- NEW fails if it lost, duplicated or misdelivered anything, or dead-lettered the wrong events
  (whatever BASE did — an exchange that loses records is never "within thresholds");
- NEW fails if its end-to-end p99 latency grew by more than `max_p99_regression` (a share: 0.5 =
  +50 %) *and* by more than `min_p99_change_ms` — the noise floor, so that 12 ms → 20 ms on a busy
  shared machine is not called a regression;
- NEW fails if its events/s or deliveries/s dropped by more than `max_throughput_drop` (a share).

Runs of different scenarios (their `run.scenario.sha256` differ) are still compared, with a note.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from exchange.errors import ConfigError
from loadtest.percentiles import LABELS

# (path in report.json, label, unit)
FIGURES: tuple[tuple[str, str, str], ...] = (
    ("events_produced", "events produced", ""),
    ("deliveries", "deliveries", ""),
    ("throughput_events_per_s", "throughput", "events/s"),
    ("deliveries_per_s", "delivery rate", "deliveries/s"),
    *((f"latency_ms.{key}", f"e2e latency {label}", "ms") for key, label in LABELS.items()),
    *((f"publish_delay_ms.{key}", f"publish delay {LABELS[key]}", "ms") for key in ("p50", "p99", "max")),
    *((f"batch_processing_ms.{key}", f"batch time {LABELS[key]}", "ms") for key in ("p50", "p99", "max")),
    ("lost", "lost", ""),
    ("duplicates", "duplicated", ""),
    ("unexpected", "unexpected", ""),
    ("violations", "beyond grant", ""),
)


@dataclass(frozen=True)
class Thresholds:
    """How much worse NEW may be than BASE before it counts as a regression."""

    max_p99_regression: float = 0.5
    max_throughput_drop: float = 0.2
    min_p99_change_ms: float = 50.0


@dataclass(frozen=True)
class Row:
    """One figure of both runs."""

    key: str
    label: str
    unit: str
    base: float | None
    new: float | None

    @property
    def change(self) -> float | None:
        """NEW relative to BASE (0.25 = +25 %); None when either is missing or BASE is 0."""
        if self.base is None or self.new is None or self.base == 0:
            return None
        return (self.new - self.base) / abs(self.base)


@dataclass(frozen=True)
class Check:
    """One test of the verdict; `failure` says why NEW failed it (None: passed)."""

    name: str
    failure: str | None


@dataclass(frozen=True)
class Comparison:
    """Both runs' figures and the verdict on NEW."""

    base: str
    new: str
    rows: tuple[Row, ...]
    checks: tuple[Check, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def failures(self) -> list[str]:
        return [check.failure for check in self.checks if check.failure]

    @property
    def ok(self) -> bool:
        return not self.failures

    def row(self, key: str) -> Row:
        return next(row for row in self.rows if row.key == key)


def load_report(folder: Path) -> dict[str, Any]:
    """A run's `report.json` (the folder, or the file itself)."""
    path = folder / "report.json" if folder.is_dir() else folder
    if not path.is_file():
        raise ConfigError(f"{folder} holds no report.json: is it a run's report folder?")
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}") from exc
    return found


def figure(report: Mapping[str, Any], key: str) -> float | None:
    value: Any = report
    for part in key.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return float(value) if isinstance(value, int | float) and not math.isnan(value) else None


def compare(base: Mapping[str, Any], new: Mapping[str, Any], thresholds: Thresholds, *, base_name: str = "BASE",
            new_name: str = "NEW") -> Comparison:
    rows = tuple(Row(key, label, unit, figure(base, key), figure(new, key)) for key, label, unit in FIGURES)
    by_key = {row.key: row for row in rows}
    checks = (Check("nothing lost, duplicated or misdelivered", _losses(new)),
              Check("end-to-end p99 latency within threshold", _p99(by_key["latency_ms.p99"], thresholds)),
              *(Check(f"{row.label} within threshold", _drop(row, thresholds))
                for row in (by_key["throughput_events_per_s"], by_key["deliveries_per_s"])))
    return Comparison(base_name, new_name, rows, checks, tuple(_notes(base, new)))


def _losses(new: Mapping[str, Any]) -> str | None:
    found = [f"{int(n)} {what}" for key, what in (("lost", "lost"), ("duplicates", "duplicated"),
                                                 ("unexpected", "unexpected"), ("violations", "beyond grant"))
             if (n := figure(new, key))]
    if new.get("dead_letters_match") is False:
        found.append("dead letters differ from the deliberately bad events")
    return f"NEW is not clean: {', '.join(found)}" if found else None


def _p99(row: Row, thresholds: Thresholds) -> str | None:
    if row.change is None or row.base is None or row.new is None:
        return None if row.new is not None else "NEW has no end-to-end p99 latency"
    if row.change > thresholds.max_p99_regression and row.new - row.base > thresholds.min_p99_change_ms:
        return (f"e2e p99 latency grew {_percent(row.change)} ({row.base:.0f} → {row.new:.0f} ms), more than the "
                f"allowed {_percent(thresholds.max_p99_regression)} and {thresholds.min_p99_change_ms:g} ms")
    return None


def _drop(row: Row, thresholds: Thresholds) -> str | None:
    if row.change is None or row.base is None or row.new is None or -row.change <= thresholds.max_throughput_drop:
        return None
    return (f"{row.label} dropped {-row.change * 100:.1f} % ({row.base:.1f} → {row.new:.1f} {row.unit}), more than "
            f"the allowed {thresholds.max_throughput_drop * 100:.1f} %")


def _notes(base: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    hashes = [report.get("run", {}).get("scenario", {}).get("sha256") for report in (base, new)]
    if None in hashes:
        return ["a report says nothing of its scenario (made before run facts were recorded)"]
    return [] if hashes[0] == hashes[1] else ["the runs are of different scenarios (their sha256 differ)"]


def _percent(share: float) -> str:
    return f"{share * 100:+.1f} %"
