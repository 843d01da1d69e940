"""The contract check (`govx check`): a department's events validated exactly as the exchange does.

Each event goes through `Exchange.validate` — the code that decides dead letters — so a reason
here is the reason the exchange would dead-letter the event with. The result counts events per
reason code and keeps the first examples of each.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from exchange.core.decide import Exchange
from exchange.core.message import Message
from exchange.errors import InvalidEvent

EXAMPLES = 3  # examples kept per reason


@dataclass(frozen=True)
class Verdict:
    """One event's outcome: where it was read, its event id, and the reason it fails (None: valid)."""

    where: str
    event_id: str
    resource: str
    reason: str | None
    detail: str


@dataclass
class ContractReport:
    """Every event's verdict, and the counts per reason code."""

    verdicts: list[Verdict] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    examples: dict[str, list[Verdict]] = field(default_factory=dict)

    def add(self, verdict: Verdict) -> None:
        self.verdicts.append(verdict)
        reason = verdict.reason or "ok"
        self.counts[reason] = self.counts.get(reason, 0) + 1
        kept = self.examples.setdefault(reason, [])
        if len(kept) < EXAMPLES:
            kept.append(verdict)

    @property
    def failed(self) -> int:
        return sum(count for reason, count in self.counts.items() if reason != "ok")

    @property
    def passed(self) -> bool:
        return self.failed == 0


def where_of(message: Message) -> str:
    return f"{message.topic}/{message.partition}/{message.offset}"


def verdict_of(exchange: Exchange, message: Message, where: str) -> Verdict:
    """Validate one event with the exchange's own checks."""
    headers = dict(message.headers)
    event_id = headers.get("ce_id", b"").decode("utf-8", "replace")
    resource = headers.get("ce_type", b"").decode("utf-8", "replace").removeprefix("gov.").rpartition(".")[0]
    try:
        exchange.validate(message)
    except InvalidEvent as invalid:
        return Verdict(where, event_id, resource, invalid.reason, invalid.detail)
    return Verdict(where, event_id, resource, None, "valid")


def check(exchange: Exchange, messages: Iterable[tuple[str, Message]]) -> ContractReport:
    """The report over (where, message) pairs."""
    report = ContractReport()
    for where, message in messages:
        report.add(verdict_of(exchange, message, where))
    return report
