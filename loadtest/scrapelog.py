"""What the run's scrapes said over time: the exchange's batch-time histogram and consumer lag.

`govx run` scrapes every process about once a second (the live view); each scrape is kept here
with its wall-clock time, saved to `scrapes.json` in the report folder, and turned into the
report's `batch_processing_ms` (overall and per scrape interval) and the lag over time.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from loadtest.percentiles import summarise_buckets
from loadtest.scrape import Samples

BATCH_HISTOGRAM = "govx_batch_processing_seconds"
LAG = "govx_consumer_lag_records"


@dataclass
class ScrapeLog:
    """Every scrape's batch-histogram buckets and lag per consumer group, with when it was taken."""

    points: list[dict[str, Any]] = field(default_factory=list)

    def add(self, samples: Samples, at_ms: int | None = None) -> None:
        self.points.append({
            "at_ms": int(time.time() * 1000) if at_ms is None else at_ms,
            "batch_buckets": {repr(bound): count for bound, count in sorted(samples.buckets(BATCH_HISTOGRAM).items())},
            "lag_records": {_role(group): lag for group, lag in samples.by_label(LAG, "group").items()},
        })

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.points) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> ScrapeLog:
        return cls(json.loads(path.read_text(encoding="utf-8")) if path.exists() else [])


def _role(group: str) -> str:
    """`exchange` for the workers' group (`<namespace>-x`), `receivers` for the receivers' group."""
    return "exchange" if group.endswith("-x") else "receivers" if group.endswith("-receivers") else group


def _buckets(point: Mapping[str, Any]) -> dict[float, float]:
    return {float(bound): float(count) for bound, count in point["batch_buckets"].items()}


def batch_overall(points: Sequence[Mapping[str, Any]], measured_from_ms: int = 0) -> dict[str, float]:
    """Percentiles (ms) of the batches the workers finished after `measured_from_ms` (the end of the
    warm-up: counted from the last scrape before it), from the last scrape's histogram."""
    with_batches = [p for p in points if p["batch_buckets"]]
    if not with_batches:
        return {}
    before = [p for p in with_batches if p["at_ms"] <= measured_from_ms]
    return summarise_buckets(_buckets(with_batches[-1]), _buckets(before[-1]) if before else None, scale=1000.0)


def over_time(points: Sequence[Mapping[str, Any]], start_ms: int) -> list[dict[str, float]]:
    """Per scrape interval (`t`: seconds since the first intended send): the batch-time percentiles
    (ms) of the batches finished in it, and the lag of each consumer group at its end."""
    rows = []
    for before, now in zip(points, points[1:], strict=False):
        batches = summarise_buckets(_buckets(now), _buckets(before), scale=1000.0) if now["batch_buckets"] else {}
        row = {"t": (now["at_ms"] - start_ms) / 1000, "batches": batches.pop("count", 0.0)}
        if row["batches"] > 0:  # an interval without batches has no batch time (not a time of 0)
            row.update({f"batch_{name}": value for name, value in batches.items()})
        row.update({f"lag_{group}": float(lag) for group, lag in now["lag_records"].items()})
        rows.append(row)
    return rows
