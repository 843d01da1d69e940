"""Validate and generate unified social credit codes (GB 32100) and organisation codes (GB 11714).

A USCC (docs/domain.md §9) is a registering authority, organisation type, 6-digit division, 9-character
organisation code (GB 11714) and a mod-31 check character, all over the 31-char alphabet
``0123456789ABCDEFGHJKLMNPQRTUWXY``. `check_uscc` runs once per event, so it uses a precomputed
per-position table (char → weighted value) and string methods only. `exchange.identifiers`
re-exports every public name here.
"""

from __future__ import annotations

import random

from exchange.core.id_types import PROVINCE_PREFIXES, IdKind, Problem, Verdict, require_region, verdict

USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# GB 32100 registering authorities (position 1 of a USCC).
USCC_AUTHORITIES = {
    "1": "机构编制", "2": "外交", "3": "司法行政", "4": "文化", "5": "民政", "6": "旅游",
    "7": "宗教", "8": "工会", "9": "工商/市场监管", "A": "中央军委改革和编制办公室", "N": "农业",
    "Y": "其他",
}  # fmt: skip

_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_USCC_TERMS = tuple({ch: i * w for i, ch in enumerate(USCC_ALPHABET)} for w in _USCC_WEIGHTS)
_USCC_CHECK = "".join(USCC_ALPHABET[(31 - r) % 31] for r in range(31))  # indexed by Σ mod 31

_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)  # GB 11714 organisation code, first 8 characters
_ORG_VALUES = {ch: int(ch, 36) for ch in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"}

_getitem = dict.__getitem__


def check_uscc(value: str) -> Verdict:
    """Check a USCC: length, charset, registering authority, region, checksum (in that order).

    All 18 characters come from the 31-char alphabet (uppercase, no I O S V Z). Position 1 must
    be a GB 32100 authority code (1 2 3 4 5 6 7 8 9 A N Y); a wrong one is reported as
    "charset". Positions 3–8 must be six digits starting with a province code ("region").
    Position 2 and the organisation code's own GB 11714 check are not checked.
    """
    return verdict(IdKind.USCC, value, uscc_problem(value), _uscc_ok)


def uscc_problem(value: str) -> Problem:
    """The (reason, detail) of the first check a USCC fails, or None when it is valid."""
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
    """The detail of a valid USCC: registering authority, organisation type and division."""
    authority = USCC_AUTHORITIES[value[0]]
    return f"registered by {authority} ({value[0]}), type {value[1]}, division {value[2:8]}"


def _uscc_charset_detail(value: str) -> str:
    """Name the first character of `value` outside the USCC alphabet."""
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
    require_region(region)
    if len(org_code) != 9 or org_code.strip(USCC_ALPHABET):
        raise ValueError(f"organisation code {org_code!r} is not 9 characters of {USCC_ALPHABET}")
    first17 = authority + org_type + region + org_code
    return first17 + uscc_check_char(first17)


def random_uscc(rng: random.Random, region: str, *, authority: str = "9", org_type: str = "1") -> str:
    """A valid USCC whose organisation code carries a correct GB 11714 check character."""
    first8 = "".join(rng.choice(USCC_ALPHABET) for _ in range(8))
    return make_uscc(authority, org_type, region, first8 + org_code_check_char(first8))
