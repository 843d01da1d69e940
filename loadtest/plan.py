"""The plan one producer process runs: its department nodes, their rates, and the shared clock.

`govx run` writes one plan file (JSON) per producer process; `govx produce --plan FILE` runs it.
Every department node of one division goes to the same process, since their chains share the
people and enterprises of that node.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from exchange.errors import ConfigError
from producers.rate import RateProfile
from producers.simulator import Source


@dataclass(frozen=True)
class SourcePlan:
    """One department node and its base rate (chains per second)."""

    division: str
    department: str
    rate: float


@dataclass(frozen=True)
class ProducerPlan:
    """Everything one producer process needs to run its share of a scenario."""

    sources: tuple[SourcePlan, ...]
    duration_s: float
    start_s: float
    seed: int
    ramp_s: float = 0.0
    steps: tuple[tuple[float, float], ...] = ()
    bad_share: float = 0.0
    faults: tuple[str, ...] = ()
    clock_origin: str | None = None
    pool_size: int = 300
    extra: dict[str, Any] = field(default_factory=dict)

    def simulator_sources(self) -> list[Source]:
        """Each source's rate profile: the ramp, then each step multiplies its base rate."""
        return [Source(s.division, s.department,
                       RateProfile.build(s.rate, self.duration_s, ramp_s=self.ramp_s,
                                         steps=[(at, s.rate * factor) for at, factor in self.steps]))
                for s in self.sources]

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), ensure_ascii=False, indent=1), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> ProducerPlan:
        """A plan file written by `write`; `ConfigError` names the file and what is wrong with it."""
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            data["sources"] = tuple(SourcePlan(**s) for s in data["sources"])
            data["steps"] = tuple(tuple(step) for step in data["steps"])
            data["faults"] = tuple(data["faults"])
            return cls(**data)
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not a producer plan written by `govx run`: "
                              f"{type(exc).__name__}: {exc}") from exc
