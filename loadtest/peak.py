"""The peak search: step the load up until latency or lag breaks; report the last rate that held.

Every `step_s` seconds the producers multiply their base rates by `factor` (the steps are in their
plans from the start). At the end of each step the watch measures that step alone: the events the
exchange consumed per second, the p99 end-to-end latency of that window (from the workers'
histogram, the difference of two scrapes), and the lag. The first step over the latency or lag
limit ends the search; the step before it is the highest sustainable rate.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

from loadtest.progress import Progress
from loadtest.scenario import Peak
from loadtest.scrape import quantile

LATENCY = "govx_end_to_end_latency_seconds"


@dataclass
class StepResult:
    """What one step of the search measured."""

    step: int
    factor: float
    events_per_s: float
    p99_ms: float
    lag_records: float
    held: bool


@dataclass
class PeakWatch:
    """Watches each step of a peak search."""

    peak: Peak
    base_rate: float
    results: list[StepResult] = field(default_factory=list)
    _window_start: float | None = None
    _buckets: dict[float, float] = field(default_factory=dict)
    _consumed: float = 0.0

    def steps(self) -> tuple[tuple[float, float], ...]:
        return tuple((k * self.peak.step_s, self.peak.factor ** k) for k in range(1, self.peak.max_steps + 1))

    def duration_s(self) -> float:
        return self.peak.step_s * (self.peak.max_steps + 1)

    def broken(self, progress: Progress, now: float | None = None) -> bool:
        """Call about once a second while producing; True once a step has broken the limits."""
        now = time.monotonic() if now is None else now
        if progress.current is None:
            return False
        if self._window_start is None:
            self._open(progress, now)
            return False
        if now - self._window_start < self.peak.step_s:
            return False
        result = self._close(progress, now)
        self.results.append(result)
        self._open(progress, now)
        return not result.held

    def _open(self, progress: Progress, now: float) -> None:
        assert progress.current is not None  # noqa: S101 - checked by the caller
        self._window_start = now
        self._buckets = progress.current.samples.buckets(LATENCY)
        self._consumed = progress.current.samples.total("govx_events_consumed_total")

    def _close(self, progress: Progress, now: float) -> StepResult:
        assert progress.current is not None and self._window_start is not None  # noqa: S101
        samples = progress.current.samples
        p99 = quantile(samples.buckets(LATENCY), self._buckets, 0.99) * 1000
        lag = samples.total("govx_consumer_lag_records")
        rate = (samples.total("govx_events_consumed_total") - self._consumed) / (now - self._window_start)
        held = not math.isnan(p99) and p99 <= self.peak.p99_latency_ms and lag <= self.peak.max_lag_records
        step = len(self.results)
        return StepResult(step, self.peak.factor ** step, rate, p99, lag, held)

    def finish(self, progress: Progress, now: float | None = None) -> None:
        """Measure the last step when the producers end, if at least half of it ran."""
        now = time.monotonic() if now is None else now
        if self._window_start is not None and progress.current is not None and \
                now - self._window_start >= self.peak.step_s / 2:
            self.results.append(self._close(progress, now))
        self._window_start = None

    def summary(self) -> dict[str, Any]:
        held = [r for r in self.results if r.held]
        broke = next((r for r in self.results if not r.held), None)
        sustained = max((r.events_per_s for r in held), default=0.0)
        verdict = (f"broke at {broke.events_per_s:.0f} events/s (p99 {broke.p99_ms:.0f} ms, lag "
                   f"{broke.lag_records:.0f})" if broke else "did not break: raise peak.max_steps or peak.factor")
        return {"sustained_events_per_s": sustained, "broke_at_events_per_s": broke.events_per_s if broke else None,
                "verdict": verdict, "limits": {"p99_latency_ms": self.peak.p99_latency_ms,
                                               "max_lag_records": self.peak.max_lag_records},
                "steps": [r.__dict__ for r in self.results]}
