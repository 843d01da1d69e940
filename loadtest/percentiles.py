"""The standard percentiles of a load-test report, as the OpenMessaging Benchmark reports them.

OMB prints p50, p75, p95, p99, p99.9, p99.99 and max of each latency it measures; govx does the
same for three of its own, each overall and per second of the run:

- end-to-end latency: a receiver's read time minus the event's *intended* send time;
- publish delay: a producer's actual send time minus its intended send time (the coordinated
  omission a closed-loop producer would hide);
- batch processing: the exchange's time per batch (decide, produce, commit), from the workers'
  `govx_batch_processing_seconds` histogram — estimated within its buckets, as Prometheus'
  `histogram_quantile` does, so its figures are never finer than the bucket bounds.

Keys are `p50 p75 p95 p99 p999 p9999 max` (OMB's `…50pct … 9999pct, Max`), plus `mean` and `count`.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence

from loadtest.scrape import quantile

STANDARD = (("p50", 50.0), ("p75", 75.0), ("p95", 95.0), ("p99", 99.0), ("p999", 99.9), ("p9999", 99.99))
LABELS = {"p50": "p50", "p75": "p75", "p95": "p95", "p99": "p99", "p999": "p99.9", "p9999": "p99.99", "max": "max"}


def percentile(ordered: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of an ascending sequence (0 for an empty one)."""
    if not ordered:
        return 0.0
    rank = max(math.ceil(share * len(ordered) / 100 - 1e-9), 1)
    return float(ordered[rank - 1])


def summarise(values: Iterable[float]) -> dict[str, float]:
    """The standard percentiles, max, mean and count of exact measurements (nearest rank)."""
    ordered = sorted(values)
    summary = {name: percentile(ordered, share) for name, share in STANDARD}
    summary["max"] = float(ordered[-1]) if ordered else 0.0
    summary["mean"] = sum(ordered) / len(ordered) if ordered else 0.0
    summary["count"] = float(len(ordered))
    return summary


def distribution(values: Iterable[float], steps_per_decade: int = 20) -> list[list[float]]:
    """[percentile, value] pairs for a log-percentile plot: percentiles spaced evenly in log(1 / (1 − q))
    from 0 up to the finest the sample size resolves (99.99 % needs 10 000 values), then 100 (max)."""
    ordered = sorted(values)
    if not ordered:
        return []
    points, step = [], 0
    while (odds := 10 ** (step / steps_per_decade)) <= len(ordered):
        share = 100 * (1 - 1 / odds)
        points.append([share, percentile(ordered, max(share, 1e-9))])
        step += 1
    return [*points, [100.0, float(ordered[-1])]]


def summarise_buckets(now: Mapping[float, float], before: Mapping[float, float] | None = None,
                      *, scale: float = 1.0) -> dict[str, float]:
    """The standard percentiles of the observations a cumulative histogram gained since `before`.

    `max` is the upper bound of the highest bucket that gained an observation (the largest bound
    below +Inf when only +Inf did); `scale` converts the unit (1000 for seconds to ms).
    """
    before = before or {}
    window = sorted((bound, max(count - before.get(bound, 0.0), 0.0)) for bound, count in now.items())
    estimates = {name: quantile(now, before, share / 100) for name, share in STANDARD}
    summary = {name: 0.0 if math.isnan(value) else value * scale for name, value in estimates.items()}
    summary["max"] = _highest_bound(window) * scale
    summary["count"] = window[-1][1] if window else 0.0
    return summary


def _highest_bound(window: Sequence[tuple[float, float]]) -> float:
    """The upper bound of the highest bucket holding an observation: the first bound whose cumulative
    count reaches the total (the largest finite bound when that is +Inf)."""
    total = window[-1][1] if window else 0.0
    if total <= 0:
        return 0.0
    bound = next(bound for bound, count in window if count >= total)
    finite = [b for b, _ in window if not math.isinf(b)]
    return (finite[-1] if finite else 0.0) if math.isinf(bound) else bound
