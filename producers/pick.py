"""Cheap random choices for the hot path: weighted tables and a bag with O(1) add, remove and pick.

Everything takes the caller's `random.Random`, so a simulation stays reproducible from its seed.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Callable, Iterable, Iterator
from itertools import accumulate
from typing import Generic, TypeVar

T = TypeVar("T")


class Weighted(Generic[T]):
    """A fixed table of values with relative weights; `pick` is one `random()` and a bisection."""

    def __init__(self, pairs: Iterable[tuple[T, float]]) -> None:
        entries = [(value, weight) for value, weight in pairs if weight > 0]
        if not entries:
            raise ValueError("a weighted table needs at least one value with a positive weight")
        self.values: tuple[T, ...] = tuple(value for value, _ in entries)
        self._cumulative = tuple(accumulate(weight for _, weight in entries))
        self._total = self._cumulative[-1]

    def pick(self, rng: random.Random) -> T:
        return self.values[bisect_right(self._cumulative, rng.random() * self._total)]


class Bag(Generic[T]):
    """Items by key, with O(1) add, remove and uniform random pick (swap-remove on a list)."""

    def __init__(self, key: Callable[[T], str]) -> None:
        self._key = key
        self._items: list[T] = []
        self._where: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._items)

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._items))

    def __contains__(self, key: object) -> bool:
        return key in self._where

    def get(self, key: str) -> T | None:
        where = self._where.get(key)
        return None if where is None else self._items[where]

    def put(self, item: T) -> None:
        """Add `item`, or replace the item with the same key in place."""
        key = self._key(item)
        where = self._where.get(key)
        if where is None:
            self._where[key] = len(self._items)
            self._items.append(item)
        else:
            self._items[where] = item

    def discard(self, key: str) -> None:
        where = self._where.pop(key, None)
        if where is None:
            return
        last = self._items.pop()
        if where < len(self._items):
            self._items[where] = last
            self._where[self._key(last)] = where

    def choice(self, rng: random.Random) -> T:
        if not self._items:
            raise IndexError("pick from an empty bag")
        return self._items[rng.randrange(len(self._items))]

    def find(self, rng: random.Random, accept: Callable[[T], bool], tries: int = 32, *,
             scan: bool = True) -> T | None:
        """A random item that `accept`s: `tries` random draws, then (with `scan`) a scan from a
        random start, so a rare item is still found."""
        items = self._items
        if not items:
            return None
        for _ in range(tries):
            item = items[rng.randrange(len(items))]
            if accept(item):
                return item
        if not scan:
            return None
        start = rng.randrange(len(items))
        return next((item for item in items[start:] + items[:start] if accept(item)), None)
