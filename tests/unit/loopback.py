"""The directory topic without a broker, for API tests: a write is appended at once and fed back."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from typing import Any

from exchange.api.state import ApiState
from exchange.core.directory import DirectoryEvent
from exchange.core.directory_codec import from_json, to_json
from exchange.core.message import Message
from exchange.errors import TransportError


class Loopback:
    """Stands in for `<ns>.directory`: `publish` appends and hands the records to the API's state, as its
    feed would; `down` makes every write fail as an unreachable broker does; `usage` keeps usage records."""

    def __init__(self) -> None:
        self.log: list[Message] = []
        self.usage_records: list[tuple[bytes, bytes]] = []
        self.state: ApiState | None = None
        self.down = False

    def publish(self, events: list[DirectoryEvent], timeout_s: float) -> None:
        if self.down:
            raise TransportError(f"the broker did not acknowledge within {timeout_s:g} s (test)")
        self.append(events)

    def append(self, events: Iterable[DirectoryEvent], at_ms: int | None = None) -> None:
        """Append events (written by the API or by another tool) and let the state read them."""
        at_ms = int(time.time() * 1000) if at_ms is None else at_ms
        start = len(self.log)
        messages = [Message("gov.directory", 0, start + i, e.key.encode(), to_json(e), (), at_ms)
                    for i, e in enumerate(events)]
        self.log.extend(messages)
        assert self.state is not None, "bind the loopback to a state first"
        self.state.receive(messages)

    def usage(self, key: bytes, record: bytes) -> None:
        self.usage_records.append((key, record))

    def events(self) -> list[DirectoryEvent]:
        return [from_json(m.value) for m in self.log if m.value is not None]


class Stalled(Loopback):
    """A broker that holds every write until `release` (then fails it, as a timeout does)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()
        self.stalling = False

    def publish(self, events: list[DirectoryEvent], timeout_s: float) -> None:
        if not self.stalling:
            super().publish(events, timeout_s)
            return
        self.entered.set()
        self.release.wait(30)
        raise TransportError("timed out (test)")


class TwoProcesses(Loopback):
    """One log read by two API states; the second reads it only when it writes (it lags behind)."""

    def __init__(self) -> None:
        super().__init__()
        self.states: list[ApiState] = []
        self.read = [0, 0]

    def append(self, events: Any, at_ms: int | None = None) -> None:
        start = len(self.log)
        self.log.extend(Message("gov.directory", 0, start + i, e.key.encode(), to_json(e), (), 1)
                        for i, e in enumerate(events))
        self.deliver(0)

    def deliver(self, which: int) -> None:
        if which < len(self.states):
            self.states[which].receive(self.log[self.read[which]:])
            self.read[which] = len(self.log)

    def writer_for(self, which: int) -> Any:
        def publish(events: list[DirectoryEvent], timeout_s: float) -> None:
            self.append(events)
            self.deliver(which)
        return publish
