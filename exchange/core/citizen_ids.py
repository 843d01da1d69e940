"""Validate and generate citizen IDs (GB 11643, docs/domain.md §9); `exchange.identifiers` re-exports it all.

A citizen ID is a 6-digit address code, birth date YYYYMMDD, 3-digit sequence (odd male, even
female) and a mod-11 check character (``X`` for 10). `check_citizen_id` runs once per event, so it
uses a precomputed per-position table (digit → weighted value) and string methods only; "today"
is China Standard Time, cached until the next midnight there (`on_new_china_day` hooks run then).
"""

from __future__ import annotations

import calendar
import random
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from exchange.core import regions
from exchange.core.civil_time import CHINA, today_in_china
from exchange.core.id_types import PROVINCE_PREFIXES, IdKind, Problem, Verdict, require_region, require_valid, verdict

EARLIEST_BIRTH = date(1880, 1, 1)  # GB 11643's own example 440524188001010014 is born 1880-01-01

_CID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CID_TERMS = tuple({str(d): d * w for d in range(10)} for w in _CID_WEIGHTS)
_CID_CHECK = "10X98765432"  # indexed by Σ mod 11: c = (12 − Σ mod 11) mod 11, 10 → X
_MONTH_DAYS = {f"{m:02d}": f"{calendar.monthrange(2000, m)[1]:02d}" for m in range(1, 13)}  # "02" → "29"
_CID_LAST = frozenset("0123456789X")

_getitem = dict.__getitem__


def check_citizen_id(value: str, *, today: date | None = None) -> Verdict:
    """Check a citizen ID: length, charset, region, birth date, checksum (in that order).

    The first 17 characters are ASCII digits and the last a digit or an uppercase ``X``; the
    first two digits are a GB/T 2260 province code, and a Guangdong (44) address code is a current
    or former division of Guangdong (an ID keeps the code of first registration: 440524 潮阳县 is
    long gone but stays valid); the birth date is a calendar date from 1880-01-01 to `today`
    (default: today in China Standard Time).
    """
    return verdict(IdKind.CITIZEN_ID, value, citizen_id_problem(value, today), _citizen_ok)


def citizen_id_problem(value: str, today: date | None) -> Problem:
    """The (reason, detail) of the first check a citizen ID fails, or None when it is valid."""
    if len(value) != 18:
        return "length", f"a citizen ID has 18 characters, not {len(value)}"
    head = value[:17]
    if not (head.isascii() and head.isdigit() and value[17] in _CID_LAST):
        return "charset", _citizen_charset_detail(value)
    if head[:2] not in PROVINCE_PREFIXES:
        return "region", f"address code {head[:6]} starts with {head[:2]}, which is no province code"
    if head[:2] == "44" and not regions.is_guangdong_address(head[:6]):
        return "region", f"address code {head[:6]} is no current or former division of Guangdong"
    today_text = _TODAY.text() if today is None else f"{today.year:04d}{today.month:02d}{today.day:02d}"
    if not _is_birth_date(head[6:14], today_text):
        return "date", _citizen_date_detail(head[6:14], today or today_in_china())
    expected = _CID_CHECK[sum(map(_getitem, _CID_TERMS, head)) % 11]
    if value[17] != expected:
        return "checksum", f"check character is {value[17]} but the first 17 characters give {expected}"
    return None


def _citizen_ok(value: str) -> str:
    """The detail of a valid citizen ID: address code, birth date and sex."""
    sex = "male" if value[16] in "13579" else "female"
    return f"address code {value[:6]}{address_name(value[:6])}, born {value[6:10]}-{value[10:12]}-{value[12:14]}, {sex}"


def address_name(code: str) -> str:
    """" (广东省深圳市罗湖区)" for a current Guangdong code, " (former 潮阳县)" for a former one, else ""."""
    if regions.is_known(code):
        return f" ({regions.division(code).full_name})"
    former = regions.former_name(code)
    return f" (former {former})" if former else ""


def _citizen_charset_detail(value: str) -> str:
    """Name the first character a citizen ID may not hold where it stands."""
    for position, char in enumerate(value, start=1):
        allowed = "0123456789X" if position == 18 else "0123456789"
        if char not in allowed:
            return (
                f"character {position} is {char!r}; a citizen ID is 17 digits then a digit "
                "or an uppercase X"
            )
    return "a citizen ID is 17 digits then a digit or an uppercase X"


def _is_birth_date(text: str, today_text: str) -> bool:
    """Whether eight ASCII digits YYYYMMDD are a calendar date from 1880-01-01 to `today_text`.

    String comparisons only: two-digit and eight-digit strings order like their numbers.
    """
    last_day = _MONTH_DAYS.get(text[4:6])
    if last_day is None or not "01" <= text[6:] <= last_day or not "18800101" <= text <= today_text:
        return False
    return text[4:] != "0229" or calendar.isleap(int(text[:4]))


class _ChinaDay:
    """Today's date in China Standard Time (where the IDs are issued) as YYYYMMDD, recomputed only
    once the next midnight there has passed, so the result does not depend on the host's zone."""

    def __init__(self) -> None:
        """Start with no day, so the first `text` computes it (and runs no hooks)."""
        self._text = ""
        self._until = 0.0
        self.hooks: list[Callable[[], None]] = []

    def text(self) -> str:
        """Today as YYYYMMDD; when a new day has begun since the last call, run the hooks first."""
        if time.time() >= self._until:
            if self._text:
                for hook in self.hooks:
                    hook()
            today = today_in_china()
            self._text = f"{today:%Y%m%d}"
            self._until = datetime.combine(today + timedelta(days=1), datetime.min.time(), CHINA).timestamp()
        return self._text


_TODAY = _ChinaDay()
china_today_text = _TODAY.text  # today in China as YYYYMMDD (a bound method: no extra call)


def on_new_china_day(hook: Callable[[], None]) -> None:
    """Call `hook` whenever midnight China time has passed since "today" was last computed."""
    _TODAY.hooks.append(hook)


def _birth_date(text: str) -> date | None:
    """YYYYMMDD as a date, or None when it is no calendar date."""
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _citizen_date_detail(text: str, today: date) -> str:
    """Say why YYYYMMDD is no acceptable birth date: not a date, too early or after `today`."""
    birth = _birth_date(text)
    if birth is None:
        return f"birth date {text} is not a calendar date"
    if birth < EARLIEST_BIRTH:
        return f"birth date {birth.isoformat()} is before {EARLIEST_BIRTH.isoformat()}"
    return f"birth date {birth.isoformat()} is after today ({today.isoformat()})"


def citizen_id_check_char(first17: str) -> str:
    """The GB 11643 check character ("0"–"9" or "X") for 17 ASCII digits."""
    if len(first17) != 17 or not (first17.isascii() and first17.isdigit()):
        raise ValueError(f"a citizen ID check character needs 17 digits, got {first17!r}")
    return _CID_CHECK[sum(map(_getitem, _CID_TERMS, first17)) % 11]


def make_citizen_id(region: str, birth: date, sequence: int) -> str:
    """Build a valid citizen ID; `sequence` is 0–999, odd for a man and even for a woman."""
    require_region(region)
    if region[:2] == "44" and not regions.is_guangdong_address(region):
        raise ValueError(f"division code {region} is no current or former division of Guangdong")
    if not EARLIEST_BIRTH <= birth <= today_in_china():
        raise ValueError(f"birth date {birth.isoformat()} is not between {EARLIEST_BIRTH.isoformat()} and today")
    if not 0 <= sequence <= 999:
        raise ValueError(f"sequence {sequence} is not in 0–999")
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + citizen_id_check_char(first17)


def random_citizen_id(
    rng: random.Random, region: str, *, born_from: date, born_to: date, female: bool | None = None
) -> str:
    """A valid citizen ID born in [born_from, born_to]; the sequence is 1–999, never 000."""
    if born_from > born_to:
        raise ValueError(f"born_from {born_from.isoformat()} is after born_to {born_to.isoformat()}")
    birth = born_from + timedelta(days=rng.randint(0, (born_to - born_from).days))
    if female is None:
        female = rng.random() < 0.5
    sequence = rng.randrange(2 if female else 1, 1000, 2)
    return make_citizen_id(region, birth, sequence)


def citizen_id_birth_date(value: str) -> date:
    """The birth date of a valid citizen ID; ValueError when the ID is invalid."""
    require_valid(check_citizen_id(value))
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def citizen_id_is_female(value: str) -> bool:
    """Whether a valid citizen ID belongs to a woman (even sequence); ValueError when invalid."""
    require_valid(check_citizen_id(value))
    return value[16] in "02468"
