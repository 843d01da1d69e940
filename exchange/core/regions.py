"""The GB/T 2260 division hierarchy of Guangdong, and the exchange paths between its platforms.

A division code has six digits: two for the province, two for the prefecture-level city and
two for the county or district. The province is ``440000``; a city ends in ``00``
(``440100`` 广州市); a county fills all six (``440106`` 天河区). Each level runs its own
exchange platform, and data moving between two divisions travels the tree: up from the source
to the lowest platform both share, then down to the destination (docs/domain.md §1). 东莞 (441900) and
中山 (442000) have no county level, so their exchange is two-level.

The table is `schemas/divisions/guangdong.toml`: the province, all 21 cities and all 122 current
county-level divisions (source and date named in the file), plus the former 44xxxx codes that a
citizen ID may still carry (`former_name`, `is_guangdong_address`). Region-scoped grants are a
prefix test on the code (``is_within``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from exchange.core.paths import schemas_dir
from exchange.errors import ConfigError, UnknownDivisionError

PROVINCE_CODE = "440000"
DIVISIONS_FILE = "divisions/guangdong.toml"


def _read_table() -> dict[str, Any]:
    path = schemas_dir() / DIVISIONS_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{DIVISIONS_FILE}: the division table cannot be read: {exc}") from exc


_DATA = _read_table()
SOURCE: dict[str, Any] = dict(_DATA["source"])
_PROVINCE = next(iter(_DATA["province"].items()))
_CITIES = tuple(sorted(_DATA["cities"].items()))
_COUNTIES = tuple(sorted(_DATA["counties"].items()))
_FORMER: dict[str, str] = dict(_DATA["historical"])

_TWO_LEVEL_CITIES = frozenset({"441900", "442000"})  # 东莞市, 中山市: no county level


class Level(StrEnum):
    """The three levels of the exchange: province, prefecture-level city, county/district."""

    PROVINCE = "province"
    CITY = "city"
    COUNTY = "county"


@dataclass(frozen=True)
class Division:
    """One division of the table: its code, Chinese name, level and parent code."""

    code: str
    name: str
    level: Level
    parent: str | None

    @property
    def full_name(self) -> str:
        """The names from the province down, e.g. "广东省广州市天河区"."""
        return "".join(division(code).name for code in reversed(ancestors(self.code))) + self.name


def _level_from_code(code: str) -> Level:
    if code.endswith("0000"):
        return Level.PROVINCE
    return Level.CITY if code.endswith("00") else Level.COUNTY


def _parent_from_code(code: str) -> str | None:
    level = _level_from_code(code)
    if level is Level.PROVINCE:
        return None
    return code[:2] + "0000" if level is Level.CITY else code[:4] + "00"


def _build() -> dict[str, Division]:
    table: dict[str, Division] = {}
    for code, name in (_PROVINCE, *_CITIES, *_COUNTIES):
        parent = _parent_from_code(code)
        if parent is not None and parent not in table:
            raise ValueError(f"division table lists {code} before its parent {parent}")
        table[code] = Division(code, name, _level_from_code(code), parent)
    return table


_TABLE = _build()
_ORDER = tuple(_TABLE.values())
# The code prefix every division below a node shares: "44", "4401", or the full county code.
_PREFIX = {
    code: code[:2] if d.level is Level.PROVINCE else code[:4] if d.level is Level.CITY else code
    for code, d in _TABLE.items()
}
_CHILDREN = {code: tuple(d for d in _ORDER if d.parent == code) for code in _TABLE}


def division(code: str) -> Division:
    """The division with this code; raises `UnknownDivisionError` when the table lacks it."""
    try:
        return _TABLE[code]
    except KeyError:
        raise UnknownDivisionError(code) from None


def is_known(code: str) -> bool:
    """Whether the table lists this code."""
    return code in _TABLE


def former_name(code: str) -> str | None:
    """The last name of a former Guangdong code (no current division), e.g. 440524 → 潮阳县; else None."""
    return _FORMER.get(code)


def is_guangdong_address(code: str) -> bool:
    """Whether a citizen ID may carry `code` as a Guangdong address code: current or former."""
    return code in _TABLE or code in _FORMER


def divisions() -> tuple[Division, ...]:
    """Every division: the province first, then the cities in code order, then the counties."""
    return _ORDER


def cities() -> tuple[Division, ...]:
    """The 21 prefecture-level cities in code order."""
    return _CHILDREN[PROVINCE_CODE]


def children(code: str) -> tuple[Division, ...]:
    """The divisions directly below `code` (empty for counties and the two-level cities)."""
    division(code)
    return _CHILDREN[code]


def level_of(code: str) -> Level:
    """The level of a listed division."""
    return division(code).level


def parent_of(code: str) -> str | None:
    """The parent's code; None for the province."""
    return division(code).parent


def ancestors(code: str) -> tuple[str, ...]:
    """The codes above `code`, nearest first: a county gives (its city, the province)."""
    result: list[str] = []
    parent = parent_of(code)
    while parent is not None:
        result.append(parent)
        parent = _TABLE[parent].parent
    return tuple(result)


def is_within(code: str, ancestor: str) -> bool:
    """Whether `code` is `ancestor` or lies below it: a prefix test on the division code.

    `ancestor` must be a listed division (`UnknownDivisionError` otherwise); `code` may be any
    six-digit string, listed or not, and anything else is within nothing.
    """
    prefix = _PREFIX.get(ancestor)
    if prefix is None:
        raise UnknownDivisionError(ancestor)
    return len(code) == 6 and code.startswith(prefix) and code.isdigit()


def is_two_level(city_code: str) -> bool:
    """Whether the division is a city without a county level (东莞, 中山)."""
    division(city_code)
    return city_code in _TWO_LEVEL_CITIES


def city_of(code: str) -> str | None:
    """The city a division belongs to (itself for a city); None for the province."""
    found = division(code)
    if found.level is Level.PROVINCE:
        return None
    return found.code if found.level is Level.CITY else found.parent


def nodes(levels: Iterable[Level]) -> tuple[Division, ...]:
    """Every division at one of these levels, in `divisions()` order."""
    wanted = frozenset(levels)
    return tuple(d for d in _ORDER if d.level in wanted)


def exchange_path(src: str, dst: str) -> tuple[str, ...]:
    """The platforms an exchange from `src` to `dst` passes, both ends included.

    It climbs from `src` to the lowest platform both share and descends to `dst`: county →
    city → province → other city → county across cities, county → city → county within one,
    straight up to an ancestor and straight down (回流) to a descendant.
    """
    up = (src, *ancestors(src))
    down = (dst, *ancestors(dst))
    meet = next(code for code in up if code in down)
    return up[: up.index(meet) + 1] + tuple(reversed(down[: down.index(meet)]))


class RegionScope(StrEnum):
    """How far a region-scoped grant reaches from the consumer's own division.

    OWN: only subjects whose division equals the consumer's division exactly.
    OWN_AND_BELOW: the consumer's division and every division below it (a prefix test).
    PROVINCE: every division of the province, wherever the consumer sits.
    """

    OWN = "own"
    OWN_AND_BELOW = "own_and_below"
    PROVINCE = "province"

    def covers(self, consumer_region: str, subject_region: str) -> bool:
        """Whether a consumer at `consumer_region` may see a subject at `subject_region`.

        `consumer_region` must be a listed division (`UnknownDivisionError` otherwise);
        `subject_region` may be any string, and only six-digit codes can be covered.
        """
        if self is RegionScope.OWN:
            division(consumer_region)
            return subject_region == consumer_region
        if self is RegionScope.OWN_AND_BELOW:
            return is_within(subject_region, consumer_region)
        division(consumer_region)
        return is_within(subject_region, PROVINCE_CODE)
