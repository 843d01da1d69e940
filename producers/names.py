"""Names, roads, firm-name cores and phone numbers, drawn from faker once and then reused.

A faker call costs 20–100 µs; a load test needs thousands of records a second. So faker fills
the bank at construction and the hot path only picks from tuples with the caller's rng.
Surnames mix Guangdong's common ones (陈、李、黄 …) with faker's national table.
"""

from __future__ import annotations

import random

from faker import Faker

from producers.vocab_people import CANTONESE_SURNAMES, MODERN_FEMALE, MODERN_MALE, MODERN_SHARE, ROADS

_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "134", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "176", "177", "178", "180", "181", "182", "183", "185", "186", "187",
    "188", "189", "191", "198", "199",
)  # fmt: skip
LOCAL_SURNAME_SHARE = 0.6


class NameBank:
    """A fixed stock of name parts from faker; `name()` and friends cost one or two rng calls."""

    def __init__(self, fake: Faker, size: int = 256) -> None:
        self.surnames = tuple(fake.last_name() for _ in range(size))
        self.male = tuple(fake.first_name_male() for _ in range(size))
        self.female = tuple(fake.first_name_female() for _ in range(size))
        # faker's "王路" (a surname + 路) and "济南亿次元公司" (another city, a suffix) read wrong here
        self.roads = tuple(road for road in (fake.street_name() for _ in range(size // 4)) if len(road) >= 3) + ROADS
        self.firm_cores = tuple(core for core in (fake.company_prefix() for _ in range(size))
                                if 2 <= len(core) <= 4 and core.isalpha() and "公司" not in core) or ("恒通",)

    def surname(self, rng: random.Random) -> str:
        if rng.random() < LOCAL_SURNAME_SHARE:
            return CANTONESE_SURNAMES.pick(rng)
        return self.surnames[rng.randrange(len(self.surnames))]

    def given(self, rng: random.Random, female: bool, young: bool = False) -> str:
        """A given name; for the young, mostly one of the names popular since the 2000s."""
        names: tuple[str, ...]
        if young and rng.random() < MODERN_SHARE:
            names = MODERN_FEMALE if female else MODERN_MALE
        else:
            names = self.female if female else self.male
        return names[rng.randrange(len(names))]

    def name(self, rng: random.Random, female: bool, surname: str | None = None, *, young: bool = False) -> str:
        """A full name: the surname (drawn when not given) and a given name of the right sex."""
        return (surname or self.surname(rng)) + self.given(rng, female, young)

    def road(self, rng: random.Random) -> str:
        return self.roads[rng.randrange(len(self.roads))]

    def firm_core(self, rng: random.Random) -> str:
        return self.firm_cores[rng.randrange(len(self.firm_cores))]


def mobile(rng: random.Random) -> str:
    """An 11-digit mainland mobile number."""
    return f"{_MOBILE_PREFIXES[rng.randrange(len(_MOBILE_PREFIXES))]}{rng.randrange(100_000_000):08d}"
