"""`Stage`: what every chain builder needs — the node, the rng, the people and enterprises, the
clock, document numbering and turning a record into a `Draft`.

Numbers that become keys (birth, death and marriage certificate numbers) embed the node, so two
nodes never issue the same one; within a node a running serial keeps them apart.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from exchange.core import regions
from exchange.core.directory import Resource
from producers.clock import Moment, moment
from producers.draft import Draft
from producers.enterprises import Enterprises
from producers.names import NameBank
from producers.population import Population

_SERIES = "QRSTUVWXYZ"  # birth-certificate series letters, one per 100 000 certificates of a node


class Stage:
    """The shared state of one node's simulation."""

    def __init__(self, division: str, resources: Mapping[str, Resource], names: NameBank, people: Population,
                 enterprises: Enterprises, origin: datetime) -> None:
        self.division, self.resources, self.names = division, resources, names
        self.people, self.enterprises, self.origin = people, enterprises, origin
        self.rng: random.Random = people.rng
        self.node = f"{[d.code for d in regions.divisions()].index(division):02d}"
        self._serial = self.rng.randrange(1000, 5000)

    def moment(self, offset_s: float) -> Moment:
        return moment(self.origin, offset_s)

    def serial(self) -> int:
        """The next number of this node's running serial."""
        self._serial += 1
        return self._serial

    def step(self, after_s: float) -> float:
        """The next follow-up's delay: 0.05–0.5 s after the previous record, to the millisecond."""
        return round(after_s + self.rng.uniform(0.05, 0.5), 3)

    def number(self, prefix: str, when: Moment) -> str:
        """A transaction number such as HK4401062025061500012345: prefix, node, day, serial."""
        day = when.today
        return f"{prefix}{self.division}{day.year:04d}{day.month:02d}{day.day:02d}{self.node}{self.serial():06d}"

    def birth_certificate_no(self) -> str:
        """A letter and 9 digits (Q440012345): the series letter, 44, the node and a serial."""
        serial = self.serial()
        return f"{_SERIES[serial // 100_000 % len(_SERIES)]}44{self.node}{serial % 100_000:05d}"

    def death_certificate_no(self, when: Moment) -> str:
        """D, the node's division, the year, the node and a serial."""
        return f"D{self.division}{when.today.year}{self.node}{self.serial():06d}"

    def draft(self, resource_id: str, department: str, record: dict[str, Any], *, action: str = "created",
              after_s: float = 0.0) -> Draft:
        """A `Draft` whose key and region are the record's subject and region fields."""
        resource = self.resources[resource_id]
        return Draft(resource_id, department, record, record[resource.subject], record[resource.region_field],
                     action, after_s)
