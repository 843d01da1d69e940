"""Applying what `<ns>.directory` holds to a view: decode, check, apply in log order — and say what happened.

Pure: the caller reads the messages (a feed polling the topic, or a test) and hands them over. Each
message is a verdict: applied, skipped (`stale`: a decision on a newer version came first;
`expired`: appended after its writer gave up) or invalid (not a directory event, or against the
sharing rules — handed to `on_invalid`, which dead-letters it in a worker). Nothing raises: a bad
event is never half-applied and never stops the reader.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from exchange.core.directory import DirectoryEvent
from exchange.core.directory_codec import from_json
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.errors import DirectoryError

APPLIED, INVALID = "applied", "invalid"
InvalidHandler = Callable[[Message, DirectoryError], None]


@dataclass(frozen=True)
class Verdict:
    """What became of one directory event read from the log."""

    event: DirectoryEvent
    outcome: str  # applied | stale | expired | invalid
    problem: str | None = None


def ignore_invalid(message: Message, error: DirectoryError) -> None:
    """The default for readers that only watch: an invalid event is skipped."""


class DirectoryApplier:
    """Applies directory messages to `view`; returns the resources whose sharing may have changed."""

    def __init__(self, view: DirectoryView, *, on_invalid: InvalidHandler = ignore_invalid,
                 on_event: Callable[[DirectoryEvent], None] | None = None,
                 on_verdict: Callable[[Verdict], None] | None = None) -> None:
        self.view = view
        self._on_invalid, self._on_event, self._on_verdict = on_invalid, on_event, on_verdict

    def apply(self, messages: Iterable[Message]) -> set[str]:
        changed: set[str] = set()
        for message in messages:
            if message.value is None:
                continue  # a tombstone: compaction removes the entity's history; nothing to apply
            try:
                event = from_json(message.value)
            except DirectoryError as error:
                self._on_invalid(message, error)
                continue
            verdict = self._apply(message, event, changed)
            if verdict.outcome == APPLIED and self._on_event is not None:
                self._on_event(event)
            if self._on_verdict is not None:
                self._on_verdict(verdict)
        return changed

    def _apply(self, message: Message, event: DirectoryEvent, changed: set[str]) -> Verdict:
        try:
            affected = self.view.apply(event, message.timestamp_ms)
        except DirectoryError as error:
            self._on_invalid(message, error)
            return Verdict(event, INVALID, str(error))
        if affected is None:
            return Verdict(event, self.view.last_skip or "stale")
        changed.add(affected)
        return Verdict(event, APPLIED)
