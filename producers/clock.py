"""Simulated time: every record time derives from a clock origin plus an offset, never the wall clock.

Times are kept in China Standard Time and rounded to whole milliseconds, which is what Avro's
`timestamp-millis` stores, so a record survives an encode/decode round trip unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from exchange.core.civil_time import CHINA

HOUR_MS = 3_600_000
DAY_MS = 24 * HOUR_MS


@dataclass(frozen=True, slots=True)
class Moment:
    """The time a chain starts (its root record's time) and that day in China."""

    at: datetime
    today: date

    def after(self, seconds: float) -> datetime:
        """`seconds` later, to the millisecond."""
        return self.at + timedelta(milliseconds=round(seconds * 1000))

    def before_ms(self, ms: int) -> datetime:
        return self.at - timedelta(milliseconds=ms)

    def days_ago(self, days: int) -> date:
        return self.today - timedelta(days=days)


def moment(origin: datetime, offset_s: float) -> Moment:
    """The moment `offset_s` seconds after `origin` (a timezone-aware datetime)."""
    at = (origin + timedelta(milliseconds=round(offset_s * 1000))).astimezone(CHINA)
    return Moment(at, at.date())


def add_years(day: date, years: int) -> date:
    """The same calendar day `years` later (28 February for a 29 February that does not exist)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)
