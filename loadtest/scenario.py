"""Load scenarios: TOML files under `bench/scenarios/` (documented in docs/load-testing.md).

A scenario names the producing nodes and departments with their rates, the share of bad
records, the duration, ramp-up, optional rate steps, the number of exchange workers and
partitions, and — for a peak search — how to step and when latency or lag counts as broken.
Unknown keys and impossible values are refused with the file, the key and the reason.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, NoReturn

from exchange.core import regions
from exchange.core.catalogue import Catalogue
from exchange.core.paths import scenarios_dir
from exchange.errors import ConfigError
from producers.world import originating_departments

TOP = {"name", "description", "duration_s", "ramp_up_s", "seed", "bad_share", "workers", "partitions", "producers",
       "receivers", "drain_timeout_s", "nodes", "steps", "peak", "baseline", "exchange_batch_delay_ms",
       "warmup_s", "thresholds"}
THRESHOLDS = {"max_p99_regression", "max_throughput_drop", "min_p99_change_ms"}
NODE = {"division", "departments", "rate", "rates"}
STEP = {"at_s", "factor"}
PEAK = {"step_s", "factor", "max_steps", "p99_latency_ms", "max_lag_records"}


@dataclass(frozen=True)
class NodeLoad:
    """One producing node: which departments publish, at how many chains per second each."""

    division: str
    rates: Mapping[str, float]


@dataclass(frozen=True)
class Peak:
    """How `peak` steps the load up, and when the exchange counts as no longer keeping up."""

    step_s: float = 20.0
    factor: float = 1.5
    max_steps: int = 8
    p99_latency_ms: float = 2000.0
    max_lag_records: int = 5000


@dataclass(frozen=True)
class Scenario:
    """A validated scenario."""

    name: str
    description: str
    duration_s: float
    nodes: tuple[NodeLoad, ...]
    ramp_up_s: float = 0.0
    seed: int = 20261121
    bad_share: float = 0.0
    workers: int = 1
    partitions: int = 3
    producers: int = 1
    receivers: int = 1
    drain_timeout_s: float = 60.0
    steps: tuple[tuple[float, float], ...] = ()
    peak: Peak | None = None
    warmup_s: float = 0.0
    baseline: str | None = None
    thresholds: Mapping[str, float] = field(default_factory=dict)
    exchange_batch_delay_ms: float = 0.0
    source: str = field(default="", compare=False)

    @property
    def base_rate(self) -> float:
        """Chains per second over all departments at the base rate."""
        return sum(sum(node.rates.values()) for node in self.nodes)

    @property
    def headline(self) -> str:
        """The description, then the load as it will run (after any `--duration`)."""
        shape = f"{self.duration_s:g} s" + (f" with a {self.ramp_up_s:g} s ramp" if self.ramp_up_s else "")
        throttle = f", exchange throttled by {self.exchange_batch_delay_ms:g} ms a batch" \
            if self.exchange_batch_delay_ms else ""
        return f"{self.description} ({shape}, {self.workers} worker(s), {self.partitions} partitions{throttle})"

    def exchange_args(self) -> list[str]:
        """Extra `govx exchange` options the scenario asks for (only the testing throttle, for now)."""
        return ["--batch-delay-ms", f"{self.exchange_batch_delay_ms:g}"] if self.exchange_batch_delay_ms else []

    def with_duration(self, duration_s: float) -> Scenario:
        return replace(self, duration_s=duration_s, ramp_up_s=min(self.ramp_up_s, duration_s),
                       warmup_s=min(self.warmup_s, duration_s),
                       steps=tuple(s for s in self.steps if s[0] < duration_s))


def resolve(name_or_file: str) -> Path:
    """A shipped scenario by name (`smoke`), or a path to a TOML file."""
    path = Path(name_or_file)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise ConfigError(f"scenario file {path} does not exist")
        return path
    shipped = scenarios_dir() / f"{name_or_file}.toml"
    if not shipped.is_file():
        known = ", ".join(sorted(p.stem for p in scenarios_dir().glob("*.toml")))
        raise ConfigError(f"no scenario named {name_or_file!r}; shipped scenarios: {known}")
    return shipped


class _Checker:
    """Reads one table of a scenario file, naming the file and key in every complaint."""

    def __init__(self, path: Path, where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
        self.path, self.where, self.table = path, where, table
        unknown = set(table) - allowed
        if unknown:
            self.fail(sorted(unknown)[0], f"unknown key (allowed: {', '.join(sorted(allowed))})")

    def fail(self, key: str, reason: str) -> NoReturn:
        raise ConfigError(f"{self.path.name}: {self.where}{key}: {reason}")

    def number(self, key: str, default: float | None = None, *, low: float = 0.0, high: float = float("inf"),
               above: bool = False) -> float:
        value = self.table.get(key, default)
        if value is None:
            self.fail(key, "is required")
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.fail(key, f"{value!r} is not a number")
        if value < low or value > high or (above and value <= low):
            self.fail(key, f"{value} is outside {'(' if above else '['}{low}, {high}]")
        return float(value)

    def whole(self, key: str, default: int, *, low: int = 1, high: int = 64) -> int:
        value = self.number(key, default, low=low, high=high)
        if value != int(value):
            self.fail(key, f"{value} is not a whole number")
        return int(value)


def _node(path: Path, index: int, table: Mapping[str, Any], catalogue: Catalogue) -> NodeLoad:
    check = _Checker(path, f"nodes[{index}].", table, NODE)
    division = str(table.get("division", ""))
    if not regions.is_known(division):
        check.fail("division", f"{division!r} is not a division of the province")
    offered = originating_departments(division, catalogue)
    named = table.get("departments", "*")
    chosen = list(offered) if named == "*" else list(named)
    for department in chosen:
        if department not in offered:
            check.fail("departments", f"{department!r} originates no events at {division} (choose from "
                                      f"{', '.join(offered)})")
    rate = check.number("rate", above=True)
    overrides = table.get("rates", {})
    rates = {d: float(overrides.get(d, rate)) for d in chosen}
    for department, value in overrides.items():
        if department not in chosen or not isinstance(value, int | float) or value < 0:
            check.fail(f"rates.{department}", f"{value!r} is not a rate of a chosen department")
    return NodeLoad(division, rates)


def load_scenario(name_or_file: str, catalogue: Catalogue) -> Scenario:
    """Read and validate a scenario."""
    path = resolve(name_or_file)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: not valid TOML: {exc}") from exc
    check = _Checker(path, "", table, TOP)
    duration = check.number("duration_s", above=True, high=86_400)
    nodes = table.get("nodes")
    if not nodes:
        check.fail("nodes", "at least one producing node is required")
    loads = tuple(_node(path, i, node, catalogue) for i, node in enumerate(nodes))
    return Scenario(
        name=str(table.get("name", path.stem)), description=str(table.get("description", "")), duration_s=duration,
        nodes=loads, ramp_up_s=check.number("ramp_up_s", 0.0, high=duration), seed=int(check.number("seed", 1)),
        bad_share=check.number("bad_share", 0.0, high=1.0), workers=check.whole("workers", 1, high=16),
        partitions=check.whole("partitions", 3), producers=check.whole("producers", 1, high=16),
        receivers=check.whole("receivers", 1, high=16),
        drain_timeout_s=check.number("drain_timeout_s", 60.0, above=True),
        steps=_steps(path, table.get("steps", []), duration), peak=_peak(path, table.get("peak")),
        warmup_s=check.number("warmup_s", 0.0, high=duration), baseline=_baseline(check, table.get("baseline")),
        thresholds=_thresholds(path, table.get("thresholds", {})),
        exchange_batch_delay_ms=check.number("exchange_batch_delay_ms", 0.0, high=60_000), source=str(path),
    )


def _thresholds(path: Path, table: Mapping[str, Any]) -> dict[str, float]:
    check = _Checker(path, "thresholds.", table, THRESHOLDS)
    return {key: check.number(key) for key in sorted(table)}


def _baseline(check: _Checker, value: Any) -> str | None:
    if value is not None and (not isinstance(value, str) or not value):
        check.fail("baseline", f"{value!r} is not the path of a report folder")
    return value


def _steps(path: Path, steps: list[Mapping[str, Any]], duration: float) -> tuple[tuple[float, float], ...]:
    parsed = []
    for index, step in enumerate(steps):
        check = _Checker(path, f"steps[{index}].", step, STEP)
        parsed.append((check.number("at_s", high=duration), check.number("factor", high=1000)))
    return tuple(sorted(parsed))


def _peak(path: Path, table: Mapping[str, Any] | None) -> Peak | None:
    if table is None:
        return None
    check = _Checker(path, "peak.", table, PEAK)
    return Peak(check.number("step_s", 20.0, above=True), check.number("factor", 1.5, low=1.0, above=True),
                check.whole("max_steps", 8, high=50), check.number("p99_latency_ms", 2000.0, above=True),
                check.whole("max_lag_records", 5000, high=10**9))
