"""How long a process keeps retrying a retriable Kafka failure before it gives up and says why.

Every govx process waits out a broker restart or a coordinator move — and none waits forever: one
whose calls have kept failing for `give_up_s` raises a non-retriable `TransportError` naming the
last error, so the process exits non-zero with the reason instead of hanging.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from exchange.errors import TransportError

T = TypeVar("T")
GIVE_UP_S = 120.0


class RetryBudget:
    """Counts how long a process has been failing; `failed` raises once that passes `give_up_s`."""

    def __init__(self, what: str, give_up_s: float = GIVE_UP_S, *, clock: Callable[[], float] = time.monotonic) -> None:
        self._what, self._give_up_s, self._clock = what, give_up_s, clock
        self._failing_since: float | None = None

    def failed(self, exc: TransportError) -> None:
        """Re-raise a fatal error, or a retriable one once failures have lasted past `give_up_s`."""
        if not exc.retriable:
            raise exc
        now = self._clock()
        if self._failing_since is None:
            self._failing_since = now
        elif now - self._failing_since > self._give_up_s:
            raise TransportError(f"{self._what} could not recover within {self._give_up_s:g} s; last error: {exc}",
                                 retriable=False) from exc

    def succeeded(self) -> None:
        self._failing_since = None

    def call(self, action: Callable[[], T], wait: Callable[[float], object], pause_s: float = 0.5) -> T:
        """`action()`, retried after `pause_s` on a retriable `TransportError` until the budget is spent."""
        while True:
            try:
                result = action()
            except TransportError as exc:
                self.failed(exc)
                wait(pause_s)
                continue
            self.succeeded()
            return result
