"""Validate and generate the identifiers every record carries (docs/domain.md §9).

- Citizen ID (GB 11643): `exchange.citizen_ids` — 6-digit address code, birth date YYYYMMDD,
  3-digit sequence (odd male, even female) and a mod-11 check character (``X`` for 10).
- Unified social credit code, USCC (GB 32100), and its GB 11714 organisation code:
  `exchange.credit_codes` — authority, organisation type, 6-digit division, 9-character
  organisation code and a mod-31 check character over ``0123456789ABCDEFGHJKLMNPQRTUWXY``.
- Division code (GB/T 2260): here — six digits, checked against `exchange.regions` inside Guangdong.

This module is the public face of all three: it re-exports every public name of the other two
(and `IdKind`/`Verdict` from `exchange.id_types`), so import from here. Validation returns a
`Verdict` naming the first failed check as a stable ``reason`` (``ok``, ``length``, ``charset``,
``date``, ``region``, ``checksum``) plus a human ``detail``; it never raises and never returns a
bare bool. `check_citizen_id` and `check_uscc` run once per event, so they use precomputed
per-position tables (char → weighted value) and string methods only; `problem` is the exchange's
cached per-event check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from exchange.core import regions
from exchange.core.citizen_ids import (
    EARLIEST_BIRTH,
    check_citizen_id,
    china_today_text,
    citizen_id_birth_date,
    citizen_id_check_char,
    citizen_id_is_female,
    citizen_id_problem,
    make_citizen_id,
    on_new_china_day,
    random_citizen_id,
)
from exchange.core.credit_codes import (
    USCC_ALPHABET,
    USCC_AUTHORITIES,
    check_uscc,
    make_uscc,
    org_code_check_char,
    random_uscc,
    uscc_check_char,
    uscc_problem,
)
from exchange.core.id_types import PROVINCE_PREFIXES, IdKind, Problem, Verdict, verdict

__all__ = [
    "EARLIEST_BIRTH", "PROVINCE_PREFIXES", "USCC_ALPHABET", "USCC_AUTHORITIES", "IdKind", "Verdict",
    "check", "check_citizen_id", "check_division", "check_uscc", "citizen_id_birth_date",
    "citizen_id_check_char", "citizen_id_is_female", "make_citizen_id", "make_uscc", "org_code_check_char",
    "problem", "random_citizen_id", "random_uscc", "uscc_check_char",
]  # fmt: skip

_CITY_CODES = frozenset(city.code for city in regions.cities())


# --- division code (GB/T 2260) ---------------------------------------------------------------


def check_division(value: str) -> Verdict:
    """Check a division code: six ASCII digits whose first two are a province code.

    Inside Guangdong (44xxxx) the code must be a current division of `exchange.regions`' table
    (the province, 21 cities, 122 counties); a former code is refused, naming what it was. Any
    code outside Guangdong with a real province prefix is accepted.
    """
    return verdict(IdKind.DIVISION, value, _division_problem(value), _division_ok)


def _division_problem(value: str) -> Problem:
    """The (reason, detail) of the first check a division code fails, or None when it is valid."""
    if len(value) != 6:
        return "length", f"a division code has 6 digits, not {len(value)} characters"
    if not (value.isascii() and value.isdigit()):
        return "charset", f"{value!r} is not six digits"
    if value[:2] not in PROVINCE_PREFIXES:
        return "region", f"{value[:2]} is not a province-level division code"
    if value[:2] == "44" and value != regions.PROVINCE_CODE:
        return _guangdong_problem(value)
    return None


def _guangdong_problem(value: str) -> Problem:
    """The problem of a 44xxxx code other than 440000: unknown city, former or unknown county."""
    if regions.is_known(value):
        return None
    former = regions.former_name(value)
    if former is not None:
        return "region", f"{value} is a former code ({former}), no current division of Guangdong"
    city = value[:4] + "00"
    if city not in _CITY_CODES:
        return "region", f"{city} is not one of Guangdong's 21 prefecture-level cities"
    return "region", f"{value} is not a division of {regions.division(city).name}"


def _division_ok(value: str) -> str:
    """The detail of a valid division code: its full name and level when the table knows it."""
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
    cleared at midnight China time (an `on_new_china_day` hook, registered below)."""
    china_today_text()  # passes midnight (clearing the memory) even when no citizen ID comes
    if kind is IdKind.CITIZEN_ID:
        return citizen_id_problem(value, None)
    if kind is IdKind.USCC:
        return uscc_problem(value)
    return _division_problem(value)


def _has_letters(value: str) -> bool:
    """Whether an ASCII letter occurs anywhere but as a final X or x."""
    body = value[:-1] if value[-1:] in ("X", "x") else value
    return any(char.isascii() and char.isalpha() for char in body)


on_new_china_day(problem.cache_clear)  # a citizen ID's date check depends on today
