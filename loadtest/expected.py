"""Which deliveries a run must produce, derived from the grants — independently of the exchange.

This is the oracle the report checks the receivers' ledgers against. It reads the grants as
plain data and applies the sharing rules of docs/domain.md §1 directly (sharing type, grant origin,
validity window, region scope), without the compiled routes of `exchange.rules`, so a bug in the
exchange's fast path shows up as `lost` or `unexpected` instead of being mirrored here.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from exchange.core.directory_view import DirectoryView
from exchange.core.regions import RegionScope
from exchange.runtime.ledger import Produced


@dataclass(frozen=True)
class GrantTerms:
    """What the oracle needs of one grant."""

    id: str
    consumer: str
    resource: str
    scope: RegionScope
    valid_from_ms: int
    valid_until_ms: int
    eligible: bool


def terms_of(view: DirectoryView) -> list[GrantTerms]:
    """The terms of every grant in the directory that is not revoked."""
    terms = []
    for grant in view.grants.values():
        resource = view.resources.get(grant.resource)
        if grant.revoked or resource is None:
            continue
        eligible = resource.sharing.value == "unconditional" or (
            resource.sharing.value == "conditional" and grant.origin.value != "subscription")
        terms.append(GrantTerms(grant.id, grant.consumer.id, grant.resource, grant.scope,
                                int(grant.valid_from.timestamp() * 1000), int(grant.valid_until.timestamp() * 1000),
                                eligible))
    return sorted(terms, key=lambda t: t.id)


def save_terms(terms: Iterable[GrantTerms], path: Path) -> None:
    rows = [{**t.__dict__, "scope": t.scope.value} for t in terms]
    path.write_text(json.dumps(rows, ensure_ascii=False, indent=0), encoding="utf-8")


def load_terms(path: Path) -> list[GrantTerms]:
    rows = json.loads(path.read_text(encoding="utf-8"))
    return [GrantTerms(**{**row, "scope": RegionScope(row["scope"])}) for row in rows]


def expected_deliveries(produced: Iterable[Produced], terms: Iterable[GrantTerms]) -> set[tuple[str, str]]:
    """(event id, consumer) for every valid event and every grant that must deliver it."""
    by_resource: dict[str, list[GrantTerms]] = {}
    for term in terms:
        if term.eligible:
            by_resource.setdefault(term.resource, []).append(term)
    expected: set[tuple[str, str]] = set()
    for event in produced:
        if event.fault is not None:
            continue
        for term in by_resource.get(event.resource, ()):
            if _delivers(term, event):
                expected.add((event.event_id, term.consumer))
    return expected


def _delivers(term: GrantTerms, event: Produced) -> bool:
    consumer_division = term.consumer.partition("/")[0]
    in_window = term.valid_from_ms <= event.intended_ms <= term.valid_until_ms
    return in_window and term.scope.covers(consumer_division, event.region)

