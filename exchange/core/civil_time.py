"""China Standard Time: the civil time of every date the exchange reasons about.

Birth dates, validity windows, working-day deadlines and masked years are all dates in UTC+8
(China keeps no daylight saving time), wherever the process runs (docs/domain.md §9).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

CHINA = timezone(timedelta(hours=8), "CST")


def today_in_china() -> date:
    """Today's date in China."""
    return datetime.now(CHINA).date()
