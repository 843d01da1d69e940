"""Validate and generate the identifiers every record carries (DOMAIN §5).

- Citizen ID (GB 11643): 6-digit address code, birth date YYYYMMDD, 3-digit sequence (odd male,
  even female) and a mod-11 check character (``X`` for 10).
- Unified social credit code, USCC (GB 32100): authority, organisation type, 6-digit division,
  9-character organisation code (GB 11714) and a mod-31 check character, all over the 31-char
  alphabet ``0123456789ABCDEFGHJKLMNPQRTUWXY``.
- Division code (GB/T 2260): six digits, checked against `exchange.regions` inside Guangdong.

Validation returns a `Verdict` naming the first failed check as a stable ``reason`` (``ok``,
``length``, ``charset``, ``date``, ``region``, ``checksum``) plus a human ``detail``; it never
raises and never returns a bare bool. `check_citizen_id` and `check_uscc` run once per event,
so they use precomputed per-position tables (char → weighted value) and string methods only.
"""

from __future__ import annotations

import calendar
import functools
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import StrEnum

from exchange import regions

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# GB/T 2260 province-level codes (first two digits of a division code).
PROVINCE_PREFIXES = frozenset(
    f"{n}"
    for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
              *range(61, 66), 71, 81, 82)
)  # fmt: skip

# GB 32100 registering authorities (position 1 of a USCC).
USCC_AUTHORITIES = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游",
    "7": "宗教", "8": "工会", "9": "工商/市场监管", "A": "中央军委改革和编制办公室", "N": "农业",
    "Y": "其他",
}  # fmt: skip

EARLIEST_BIRTH = date(1900, 1, 1)

_CID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CID_TERMS = tuple({str(d): d * w for d in range(10)} for w in _CID_WEIGHTS)
_CID_CHECK = "10X98765432"  # indexed by Σ mod 11: c = (12 − Σ mod 11) mod 11, 10 → X
_MONTH_DAYS = {f"{m:02d}": f"{calendar.monthrange(2000, m)[1]:02d}" for m in range(1, 13)}  # "02" → "29"
_CID_LAST = frozenset("0123456789X")

_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_TERMS = tuple({ch: i * w for i, ch in enumerate(USCC_ALPHABET)} for w in _USCC_WEIGHTS)
_USCC_CHECK = "".join(USCC_ALPHABET[(31 - r) % 31] for r in range(31))  # indexed by Σ mod 31

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code, first 8 characters
_ORG_VALUES = {ch: int(ch, 36) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

_CITY_CODES = frozenset(city.code for city in regions.cities())
# Cities whose counties the regions table lists completely (two-level cities have none).
_FULLY_LISTED = frozenset(
    city.code for city in regions.cities() if regions.children(city.code) or regions.is_two_level(city.code)
)

_getitem = dict.__getitem__


class IdKind(StrEnum):
    """The kinds of identifier this module checks."""

    CITIZEN_ID = "citizen_id"
    USCC = "uscc"
    DIVISION = "division"


@dataclass(frozen=True, slots=True)
class Verdict:
    """The outcome of a check: `reason` is "ok" or the first failed check, `detail` a sentence."""

    kind: IdKind
    value: str
    valid: bool
    reason: str
    detail: str


_Problem = tuple[str, str] | None  # (reason, detail) of the first failed check, None when valid


def _verdict(kind: IdKind, value: str, problem: _Problem, ok_detail: Callable[[str], str]) -> Verdict:
    if problem is None:
        return Verdict(kind, value, True, "ok", ok_detail(value))
    return Verdict(kind, value, False, problem[0], problem[1])


# --- citizen ID (GB 11643) -------------------------------------------------------------------


def check_citizen_id(value: str, *, today: date | None = None) -> Verdict:
    """Check a citizen ID: length, charset, region, birth date, checksum (in that order).

    The first 17 characters are ASCII digits and the last a digit or an uppercase ``X``; the
    first two digits are a GB/T 2260 province code (the rest of the address code need not exist
    today: old codes such as 441822 stay valid); the birth date is a calendar date from
    1900-01-01 to `today` (default: today in China Standard Time).
    """
    return _verdict(IdKind.CITIZEN_ID, value, _citizen_problem(value, today), _citizen_ok)


def _citizen_problem(value: str, today: date | None) -> _Problem:
    if len(value) != 18:
        return "length", f"a citizen ID has 18 characters, not {len(value)}"
    head = value[:17]
    if not (head.isascii() and head.isdigit() and value[17] in _CID_LAST):
        return "charset", _citizen_charset_detail(value)
    if head[:2] not in PROVINCE_PREFIXES:
        return "region", f"address code {head[:6]} starts with {head[:2]}, which is no province code"
    today_text = _TODAY.text() if today is None else f"{today.year:04d}{today.month:02d}{today.day:02d}"
    if not _is_birth_date(head[6:14], today_text):
        return "date", _citizen_date_detail(head[6:14], today or datetime.now(_CHINA).date())
    expected = _CID_CHECK[sum(map(_getitem, _CID_TERMS, head)) % 11]
    if value[17] != expected:
        return "checksum", f"check character is {value[17]} but the first 17 characters give {expected}"
    return None


def _citizen_ok(value: str) -> str:
    sex = "male" if value[16] in "13579" else "female"
    return f"address code {value[:6]}, born {value[6:10]}-{value[10:12]}-{value[12:14]}, {sex}"


def _citizen_charset_detail(value: str) -> str:
    for position, char in enumerate(value, start=1):
        allowed = "0123456789X" if position == 18 else "0123456789"
        if char not in allowed:
            return (
                f"character {position} is {char!r}; a citizen ID is 17 digits then a digit "
                "or an uppercase X"
            )
    return "a citizen ID is 17 digits then a digit or an uppercase X"


def _is_birth_date(text: str, today_text: str) -> bool:
    """Whether eight ASCII digits YYYYMMDD are a calendar date from 1900-01-01 to `today_text`.

    String comparisons only: two-digit and eight-digit strings order like their numbers.
    """
    last_day = _MONTH_DAYS.get(text[4:6])
    if last_day is None or not "01" <= text[6:] <= last_day or not "19000101" <= text <= today_text:
        return False
    return text[4:] != "0229" or calendar.isleap(int(text[:4]))


class _ChinaDay:
    """Today's date in China Standard Time (where the IDs are issued) as YYYYMMDD, recomputed only
    once the next midnight there has passed, so the result does not depend on the host's zone."""

    def __init__(self) -> None:
        self._text = ""
        self._until = 0.0

    def text(self) -> str:
        if time.time() >= self._until:
            if self._text:
                problem.cache_clear()
            today = datetime.now(_CHINA).date()
            self._text = f"{today:%Y%m%d}"
            self._until = datetime.combine(today + timedelta(days=1), datetime.min.time(), _CHINA).timestamp()
        return self._text


_CHINA = timezone(timedelta(hours=8))
_TODAY = _ChinaDay()


def _birth_date(text: str) -> date | None:
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None


def _citizen_date_detail(text: str, today: date) -> str:
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
    _require_region(region)
    if not EARLIEST_BIRTH <= birth <= datetime.now(_CHINA).date():
        raise ValueError(f"birth date {birth.isoformat()} is not between 1900-01-01 and today")
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
    _require_valid(check_citizen_id(value))
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def citizen_id_is_female(value: str) -> bool:
    """Whether a valid citizen ID belongs to a woman (even sequence); ValueError when invalid."""
    _require_valid(check_citizen_id(value))
    return value[16] in "02468"


# --- unified social credit code (GB 32100) ---------------------------------------------------


def check_uscc(value: str) -> Verdict:
    """Check a USCC: length, charset, registering authority, region, checksum (in that order).

    All 18 characters come from the 31-char alphabet (uppercase, no I O S V Z). Position 1 must
    be a GB 32100 authority code (1 2 3 4 5 6 7 8 9 A N Y); a wrong one is reported as
    "charset". Positions 3–8 must be six digits starting with a province code ("region").
    Position 2 and the organisation code's own GB 11714 check are not checked.
    """
    return _verdict(IdKind.USCC, value, _uscc_problem(value), _uscc_ok)


def _uscc_problem(value: str) -> _Problem:
    if len(value) != 18:
        return "length", f"a unified social credit code has 18 characters, not {len(value)}"
    if value.strip(USCC_ALPHABET):
        return "charset", _uscc_charset_detail(value)
    if value[0] not in USCC_AUTHORITIES:
        return "charset", f"character 1 is {value[0]!r}, not a registering authority code"
    division = value[2:8]
    if not (division.isdigit() and division[:2] in PROVINCE_PREFIXES):
        return "region", f"characters 3–8 are {division}, not a division code of a province"
    expected = _USCC_CHECK[sum(map(_getitem, _USCC_TERMS, value)) % 31]
    if value[17] != expected:
        return "checksum", f"check character is {value[17]} but the first 17 characters give {expected}"
    return None


def _uscc_ok(value: str) -> str:
    authority = USCC_AUTHORITIES[value[0]]
    return f"registered by {authority} ({value[0]}), type {value[1]}, division {value[2:8]}"


def _uscc_charset_detail(value: str) -> str:
    position, char = next((i, c) for i, c in enumerate(value, start=1) if c not in USCC_ALPHABET)
    return f"character {position} is {char!r}, not in the alphabet {USCC_ALPHABET} (no I O S V Z)"


def uscc_check_char(first17: str) -> str:
    """The GB 32100 check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or first17.strip(USCC_ALPHABET):
        raise ValueError(f"a USCC check character needs 17 characters of {USCC_ALPHABET}, got {first17!r}")
    return _USCC_CHECK[sum(map(_getitem, _USCC_TERMS, first17)) % 31]


def org_code_check_char(first8: str) -> str:
    """The GB 11714 organisation-code check character for its first 8 characters.

    Digits count 0–9 and letters A–Z 10–35; weights 3 7 9 10 5 8 4 2; c = 11 − (Σ mod 11),
    written "X" for 10 and "0" for 11.
    """
    if len(first8) != 8 or any(ch not in _ORG_VALUES for ch in first8):
        raise ValueError(f"an organisation code check needs 8 digits or uppercase letters, got {first8!r}")
    c = 11 - sum(_ORG_VALUES[ch] * w for ch, w in zip(first8, _ORG_WEIGHTS, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_uscc(authority: str, org_type: str, region: str, org_code: str) -> str:
    """Build a valid USCC. `org_code` is any 9 alphabet characters (its GB 11714 check is not
    enforced; `random_uscc` generates one that has it)."""
    if authority not in USCC_AUTHORITIES:
        raise ValueError(f"{authority!r} is not a registering authority code")
    if len(org_type) != 1 or org_type not in USCC_ALPHABET:
        raise ValueError(f"organisation type {org_type!r} is not one alphabet character")
    _require_region(region)
    if len(org_code) != 9 or org_code.strip(USCC_ALPHABET):
        raise ValueError(f"organisation code {org_code!r} is not 9 characters of {USCC_ALPHABET}")
    first17 = authority + org_type + region + org_code
    return first17 + uscc_check_char(first17)


def random_uscc(rng: random.Random, region: str, *, authority: str = "9", org_type: str = "1") -> str:
    """A valid USCC whose organisation code carries a correct GB 11714 check character."""
    first8 = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
    return make_uscc(authority, org_type, region, first8 + org_code_check_char(first8))


# --- division code (GB/T 2260) ---------------------------------------------------------------


def check_division(value: str) -> Verdict:
    """Check a division code: six ASCII digits whose first two are a province code.

    Inside Guangdong (44xxxx) the city part must be one of the 21 cities, and for 广州, 清远,
    东莞 and 中山 — the cities `exchange.regions` lists completely — the code itself must be
    listed (东莞 and 中山 have no counties, so only 441900 and 442000). The table does not list
    the other cities' counties, so any county part is accepted there, as is any code outside
    Guangdong with a real province prefix.
    """
    return _verdict(IdKind.DIVISION, value, _division_problem(value), _division_ok)


def _division_problem(value: str) -> _Problem:
    if len(value) != 6:
        return "length", f"a division code has 6 digits, not {len(value)} characters"
    if not (value.isascii() and value.isdigit()):
        return "charset", f"{value!r} is not six digits"
    if value[:2] not in PROVINCE_PREFIXES:
        return "region", f"{value[:2]} is not a province-level division code"
    if value[:2] == "44" and value != regions.PROVINCE_CODE:
        return _guangdong_problem(value)
    return None


def _guangdong_problem(value: str) -> _Problem:
    city = value[:4] + "00"
    if city not in _CITY_CODES:
        return "region", f"{city} is not one of Guangdong's 21 prefecture-level cities"
    if city in _FULLY_LISTED and not regions.is_known(value):
        return "region", f"{value} is not a division of {regions.division(city).name}"
    return None


def _division_ok(value: str) -> str:
    if regions.is_known(value):
        return f"{regions.division(value).full_name} ({regions.level_of(value)})"
    return "a division code with a valid province part"


# --- any identifier ----------------------------------------------------------------------------

_CHECKERS: dict[IdKind, Callable[[str], Verdict]] = {
    IdKind.CITIZEN_ID: check_citizen_id,
    IdKind.USCC: check_uscc,
    IdKind.DIVISION: check_division,
}
_PROGRESS = {"length": 0, "charset": 1, "region": 2, "date": 3, "checksum": 4, "ok": 5}


def check(value: str, kind: IdKind | None = None) -> Verdict:
    """Check `value` as `kind`, or guess the kind when it is None.

    Guessing: 6 characters → division. 18 characters → whichever of citizen ID and USCC is valid
    (citizen ID first); when neither is, the one whose checks got further (length, charset,
    region, date, checksum), and on a tie a USCC when an ASCII letter occurs anywhere but as a
    final X/x, else a citizen ID. So an all-digit USCC is found by its checks, not its shape.
    Any other length is reported as a "length" failure: of a division below 12 characters, of
    a citizen ID from 12 on.
    """
    if kind is not None:
        return _CHECKERS[kind](value)
    if len(value) != 18:
        return check_division(value) if len(value) < 12 else check_citizen_id(value)
    citizen, uscc = check_citizen_id(value), check_uscc(value)
    if _PROGRESS[citizen.reason] != _PROGRESS[uscc.reason]:
        return max(citizen, uscc, key=lambda v: _PROGRESS[v.reason])
    return uscc if _has_letters(value) else citizen


@functools.lru_cache(maxsize=1 << 16)
def problem(kind: IdKind, value: str) -> tuple[str, str] | None:
    """The (reason, detail) of the first check `value` fails, or None when valid — the exchange's
    per-event check, which builds no `Verdict` and no detail text for a valid identifier.

    Verdicts are remembered (the same people, enterprises and divisions recur across the events
    of a chain and of a day); a citizen ID's date check depends on today, so the memory is
    cleared at midnight China time."""
    _TODAY.text()
    if kind is IdKind.CITIZEN_ID:
        return _citizen_problem(value, None)
    if kind is IdKind.USCC:
        return _uscc_problem(value)
    return _division_problem(value)


def _has_letters(value: str) -> bool:
    """Whether an ASCII letter occurs anywhere but as a final X or x."""
    body = value[:-1] if value[-1:] in ("X", "x") else value
    return any(char.isascii() and char.isalpha() for char in body)


# --- shared ---------------------------------------------------------------------------------


def _require_region(region: str) -> None:
    if len(region) != 6 or not (region.isascii() and region.isdigit()) or region[:2] not in PROVINCE_PREFIXES:
        raise ValueError(f"{region!r} is not a six-digit division code of a province")


def _require_valid(verdict: Verdict) -> None:
    if not verdict.valid:
        raise ValueError(f"invalid {verdict.kind}: {verdict.detail}")
