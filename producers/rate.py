"""Open-loop rate control: when each event is *meant* to be sent.

A `RateProfile` is a piecewise-linear rate over time (a ramp-up, a steady rate, optional steps).
Event k is due when the cumulative rate ∫rate reaches k, computed in closed form from k — not by
adding intervals — so fractional rates (0.2 events/s) and high ones (5 000 events/s) hold
exactly over any duration without drift. It is the emission schedule of an ideal token bucket.

Producers stamp each event with its *intended* send time (`ce_time` and the Kafka timestamp).
A producer that falls behind sends late events at once, still stamped with their intended
time, so the measured latency includes the wait: no coordinated omission.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Segment:
    """A stretch of time over which the rate changes linearly from `start_rate` to `end_rate`."""

    start_s: float
    end_s: float
    start_rate: float
    end_rate: float

    @property
    def events(self) -> float:
        """How many events fall due in this segment (the area under the rate)."""
        return (self.start_rate + self.end_rate) / 2 * (self.end_s - self.start_s)

    def offset_of(self, count: float) -> float:
        """Seconds after `start_s` at which `count` events have fallen due within the segment."""
        if count <= 0:
            return 0.0
        length = self.end_s - self.start_s
        slope = (self.end_rate - self.start_rate) / length
        if abs(slope) < 1e-12:
            return count / self.start_rate
        root = math.sqrt(max(self.start_rate**2 + 2 * slope * count, 0.0))
        return 2 * count / (self.start_rate + root)


@dataclass(frozen=True)
class RateProfile:
    """A rate over `[0, duration)`: ramp from 0 to the first rate, then steps."""

    segments: tuple[Segment, ...]

    @classmethod
    def build(cls, rate: float, duration_s: float, *, ramp_s: float = 0.0,
              steps: Sequence[tuple[float, float]] = ()) -> RateProfile:
        """`steps` are (seconds from start, new rate) pairs, applied after the ramp."""
        if rate < 0 or duration_s <= 0 or ramp_s < 0 or any(r < 0 or t < 0 for t, r in steps):
            raise ValueError("rates, times and durations must not be negative, and duration must be > 0")
        changes = sorted([(min(ramp_s, duration_s), rate), *((t, r) for t, r in steps if t < duration_s)])
        segments = [Segment(0.0, changes[0][0], 0.0, rate)] if ramp_s > 0 else []
        for (start, level), (end, _) in zip(changes, [*changes[1:], (duration_s, 0.0)], strict=True):
            if end > start:
                segments.append(Segment(start, end, level, level))
        return cls(tuple(segments))

    @property
    def expected_events(self) -> int:
        return math.floor(sum(segment.events for segment in self.segments) + 1e-9)

    def due_times(self) -> Iterator[float]:
        """Seconds from the start at which event 0, 1, 2, … is due."""
        done = 0.0
        k = 0
        for segment in self.segments:
            while k < done + segment.events - 1e-9:
                yield segment.start_s + segment.offset_of(k - done)
                k += 1
            done += segment.events

    def rate_at(self, t: float) -> float:
        for segment in self.segments:
            if segment.start_s <= t < segment.end_s:
                share = (t - segment.start_s) / (segment.end_s - segment.start_s)
                return segment.start_rate + (segment.end_rate - segment.start_rate) * share
        return 0.0
