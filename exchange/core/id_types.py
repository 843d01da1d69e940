"""Types and helpers shared by the identifier modules (docs/domain.md §9).

`exchange.identifiers`, `exchange.citizen_ids` and `exchange.credit_codes` all import from here,
and this module imports none of them, so there is no import cycle. Use `exchange.identifiers`
from elsewhere: it re-exports `IdKind` and `Verdict`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

# GB/T 2260 province-level codes (first two digits of a division code).
PROVINCE_PREFIXES = frozenset(
    f"{n}"
    for n in (*range(11, 16), *range(21, 24), *range(31, 38), *range(41, 47), *range(50, 55),
              *range(61, 66), 71, 81, 82)
)  # fmt: skip


class IdKind(StrEnum):
    """The kinds of identifier `exchange.identifiers` checks."""

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


Problem = tuple[str, str] | None  # (reason, detail) of the first failed check, None when valid


def verdict(kind: IdKind, value: str, problem: Problem, ok_detail: Callable[[str], str]) -> Verdict:
    """The `Verdict` for `value`: valid with `ok_detail(value)` when `problem` is None."""
    if problem is None:
        return Verdict(kind, value, True, "ok", ok_detail(value))
    return Verdict(kind, value, False, problem[0], problem[1])


def require_region(region: str) -> None:
    """Raise ValueError unless `region` is six ASCII digits starting with a province code."""
    if len(region) != 6 or not (region.isascii() and region.isdigit()) or region[:2] not in PROVINCE_PREFIXES:
        raise ValueError(f"{region!r} is not a six-digit division code of a province")


def require_valid(checked: Verdict) -> None:
    """Raise ValueError naming the failed check unless `checked` is valid."""
    if not checked.valid:
        raise ValueError(f"invalid {checked.kind}: {checked.detail}")
