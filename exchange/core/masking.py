"""Masking policies (脱敏规则) a grant assigns per field.

Every policy turns a value into a string that keeps only what the policy names and replaces
the rest with `*`. The kept part is always shorter than the value, so a masked string never
contains the unmasked value (unless the value itself is made of `*`). `drop` removes the field
from the delivered view altogether.

| policy            | keeps                                   | example                                   |
|-------------------|-----------------------------------------|-------------------------------------------|
| id_keep_6_4       | first 6 and last 4 characters           | 440106199001011234 → 440106********1234   |
| name_surname      | the surname (compound ones too)         | 欧阳娜娜 → 欧阳**                          |
| phone_last4       | the last 4 digits                       | 13812345678 → *******5678                 |
| address_district  | province, city and district/county      | 广东省广州市天河区天河路385号 → 广东省广州市天河区*** |
| date_year         | the year of a date or a time (UTC+8)    | 1990-05-01 → 1990                         |
| drop              | nothing: the field is not delivered     |                                           |
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from exchange.core.civil_time import CHINA

EPOCH = date(1970, 1, 1)
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 上官 诸葛 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 钟离 端木 独孤 南宫 西门 "
    "闻人 万俟 申屠 澹台 公羊 呼延 赫连 百里 东郭 太史".split()
)
_ADDRESS_LEVELS = (
    re.compile(r".{1,7}?(省|自治区)"),
    re.compile(r".{1,8}?(市|自治州|地区|盟)"),
    re.compile(r".{1,8}?(区|县|市|旗)"),
)


@dataclass(frozen=True)
class MaskPolicy:
    """A named way of masking one field."""

    name: str
    description: str
    mask: Callable[[Any], str]


def _stars(count: int) -> str:
    return "*" * max(count, 1)


def keep_ends(value: str, head: int, tail: int) -> str:
    """Keep `head` leading and `tail` trailing characters; mask everything if that would keep it all."""
    if len(value) <= head + tail:
        return _stars(len(value))
    return value[:head] + _stars(len(value) - head - tail) + value[len(value) - tail:]


def citizen_id(value: Any) -> str:
    return keep_ends(str(value), 6, 4)


def surname(value: Any) -> str:
    name = str(value)
    kept = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    if len(name) <= kept:
        return _stars(len(name))
    return name[:kept] + _stars(len(name) - kept)


def phone(value: Any) -> str:
    return keep_ends(str(value), 0, 4)


def address_district(value: Any) -> str:
    """Keep the administrative prefix (province, city, district/county) and mask the rest."""
    address = str(value)
    end = 0
    for level in _ADDRESS_LEVELS:
        found = level.match(address, end)
        if found is not None and found.end() < len(address):
            end = found.end()
    return address[:end] + "***" if end else _stars(len(address))


def year(value: Any) -> str:
    """The year of a date, a datetime, days since the epoch (Avro date) or epoch milliseconds."""
    if isinstance(value, datetime):
        return str(value.astimezone(CHINA).year)
    if isinstance(value, date):
        return str(value.year)
    raise TypeError(f"date_year needs a date or time, not {type(value).__name__}")


def year_of_days(days: int) -> str:
    return str((EPOCH + timedelta(days=days)).year)


def year_of_millis(millis: int) -> str:
    return str(datetime.fromtimestamp(millis / 1000, UTC).astimezone(CHINA).year)


POLICIES: dict[str, MaskPolicy] = {
    policy.name: policy
    for policy in (
        MaskPolicy("id_keep_6_4", "citizen ID: keep the first 6 and the last 4 characters", citizen_id),
        MaskPolicy("name_surname", "person's name: keep the surname (compound surnames too)", surname),
        MaskPolicy("phone_last4", "phone number: keep the last 4 digits", phone),
        MaskPolicy("address_district", "address: keep province, city and district/county", address_district),
        MaskPolicy("date_year", "date or time: keep the year (China Standard Time)", year),
        MaskPolicy("drop", "do not deliver the field", lambda value: ""),
    )
}
DROP = "drop"


def policy(name: str) -> MaskPolicy:
    """The policy called `name`; `KeyError` names the known ones."""
    try:
        return POLICIES[name]
    except KeyError:
        raise KeyError(f"unknown masking policy {name!r}; known: {', '.join(POLICIES)}") from None
