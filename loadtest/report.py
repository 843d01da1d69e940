"""The verified run report: counts, reconciliation, throughput and latency, from the ledgers.

`lost` counts deliveries the grants call for that no receiver got; `duplicates` counts extra
copies of a delivery at distinct offsets (a receiver re-reading one offset is not a duplicate);
`unexpected` counts deliveries no grant calls for. Latency is measured from each event's
*intended* send time, so a producer that fell behind cannot hide the wait; the publish delay
(actual against intended send time) shows how far behind it fell. Percentiles are the standard
set of loadtest/percentiles.py.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from exchange.runtime.ledger import Produced, Received
from loadtest.expected import GrantTerms, expected_deliveries
from loadtest.percentiles import distribution, summarise
from producers.faults import EXPECTED_REASON, Fault


@dataclass(frozen=True)
class DeadLetter:
    """One record of the dead-letter topic: the event it holds (if it had an id) and why."""

    event_id: str | None
    reason: str


@dataclass
class Report:
    """Everything `report.json` holds."""

    scenario: str
    events_produced: int
    events_valid: int
    deliveries: int
    expected_deliveries: int
    lost: int
    duplicates: int
    unexpected: int
    violations: int
    skipped: dict[str, int]
    dead_letters: dict[str, int]
    dead_letters_expected: dict[str, int]
    valid_events_dead_lettered: int
    throughput_events_per_s: float
    deliveries_per_s: float
    latency_ms: dict[str, float]
    duration_s: float
    interrupted: bool = False
    publish_delay_ms: dict[str, float] = field(default_factory=dict)
    batch_processing_ms: dict[str, float] = field(default_factory=dict)
    started_ms: int = 0
    warmup_s: float = 0.0
    latency_distribution: list[list[float]] = field(default_factory=list)
    publish_delay_distribution: list[list[float]] = field(default_factory=list)
    timeline: list[dict[str, float]] = field(default_factory=list)
    scraped: list[dict[str, float]] = field(default_factory=list)
    run: dict[str, Any] = field(default_factory=dict)
    lost_examples: list[list[str]] = field(default_factory=list)
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def dead_letters_match(self) -> bool:
        return self.dead_letters == self.dead_letters_expected and self.valid_events_dead_lettered == 0

    @property
    def ok(self) -> bool:
        """Nothing lost, duplicated, unexpected or beyond a grant, and every bad event dead-lettered."""
        return not (self.lost or self.duplicates or self.unexpected or self.violations) and self.dead_letters_match

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ok": self.ok, "dead_letters_match": self.dead_letters_match}


def _distinct_deliveries(received: Iterable[Received]) -> dict[tuple[str, str], set[tuple[str, int, int]]]:
    """Per (event id, consumer), the distinct positions it was read at."""
    positions: dict[tuple[str, str], set[tuple[str, int, int]]] = defaultdict(set)
    for entry in received:
        positions[(entry.event_id, entry.consumer)].add((entry.topic, entry.partition, entry.offset))
    return positions


def _per_second(values: Iterable[tuple[int, float]], start_ms: int) -> dict[int, list[float]]:
    found: dict[int, list[float]] = defaultdict(list)
    for at_ms, value in values:
        found[(at_ms - start_ms) // 1000].append(value)
    return found


def timeline(produced: Sequence[Produced], received: Sequence[Received], start_ms: int,
             dead_lettered: Iterable[str] = ()) -> list[dict[str, float]]:
    """Per second of intended send time: events produced and dead-lettered, deliveries received, and
    the standard percentiles of their end-to-end latency and of the producers' publish delay."""
    sent = Counter((p.intended_ms - start_ms) // 1000 for p in produced)
    intended = {p.event_id: p.intended_ms for p in produced}
    dead = Counter((intended[i] - start_ms) // 1000 for i in dead_lettered if i in intended)
    got = _per_second(((r.event_ms, float(r.received_ms - r.event_ms)) for r in received), start_ms)
    delay = _per_second(((p.intended_ms, float(p.sent_ms - p.intended_ms)) for p in produced), start_ms)
    rows = []
    seconds = set(sent) | set(got)
    for second in range(min(seconds, default=0), max(seconds, default=-1) + 1):  # quiet seconds too
        latency, publish = summarise(got.get(second, [])), summarise(delay.get(second, []))
        rows.append({"t": float(second), "produced": float(sent.get(second, 0)), "delivered": latency.pop("count"),
                     "dead_lettered": float(dead.get(second, 0)), **latency,
                     **{f"publish_{name}": value for name, value in publish.items() if name != "count"}})
    return rows


def _sorted_counts(items: Iterable[str]) -> dict[str, int]:
    return dict(sorted(Counter(items).items()))


def build_report(scenario: str, produced: Sequence[Produced], received: Sequence[Received],
                 terms: Iterable[GrantTerms], dead_letters: Iterable[DeadLetter], skipped: Mapping[str, int],
                 *, interrupted: bool = False, warmup_s: float = 0.0) -> Report:
    """Reconcile the ledgers against the grants and the dead-letter topic. Latency and publish delay
    leave out the first `warmup_s` seconds (the accounting never does)."""
    expected = expected_deliveries(produced, terms)
    positions = _distinct_deliveries(received)
    got = set(positions)
    valid_ids = {p.event_id for p in produced if p.fault is None}
    letters = list(dead_letters)
    start_ms = min((p.intended_ms for p in produced), default=0)
    end_ms = max([*(r.received_ms for r in received), *(p.sent_ms for p in produced)], default=start_ms)
    duration_s = max((end_ms - start_ms) / 1000, 1e-3)
    deliveries = sum(len(places) for places in positions.values())
    measured_from = start_ms + int(warmup_s * 1000)
    latency = [float(r.received_ms - r.event_ms) for r in received if r.event_ms >= measured_from]
    delay = [float(p.sent_ms - p.intended_ms) for p in produced if p.intended_ms >= measured_from]
    return Report(
        scenario=scenario, events_produced=len(produced), events_valid=len(valid_ids), deliveries=deliveries,
        expected_deliveries=len(expected), lost=len(expected - got),
        duplicates=sum(len(places) - 1 for places in positions.values()), unexpected=len(got - expected),
        violations=sum(1 for r in received if r.violation is not None), skipped=dict(sorted(skipped.items())),
        dead_letters=_sorted_counts(d.reason for d in letters),
        dead_letters_expected=_sorted_counts(EXPECTED_REASON[Fault(p.fault)] for p in produced if p.fault),
        valid_events_dead_lettered=sum(1 for d in letters if d.event_id in valid_ids),
        throughput_events_per_s=len(produced) / duration_s, deliveries_per_s=deliveries / duration_s,
        latency_ms=summarise(latency), duration_s=duration_s, publish_delay_ms=summarise(delay),
        started_ms=start_ms, warmup_s=warmup_s, latency_distribution=distribution(latency),
        publish_delay_distribution=distribution(delay),
        interrupted=interrupted, timeline=timeline(produced, received, start_ms,
                                                   (d.event_id for d in letters if d.event_id)),
        lost_examples=[list(pair) for pair in sorted(expected - got)[:10]],
    )
