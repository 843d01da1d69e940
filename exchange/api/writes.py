"""Directory writes of one API process: written to Kafka, decided by the log, answered once read back.

A request's event carries a write id and a deadline (half of `GOVX_DIRECTORY_WRITE_TIMEOUT_S` from
now). The API publishes it without holding the state lock, then waits until its own feed has read
the event back from `<ns>.directory` and applied it — or not: every reader decides alike, in log
order, so the answer is the log's verdict (applied; `stale`: another decision on the same version
came first; `expired`: the broker appended it after the deadline; `absent`: the feed read the log
past the deadline without finding it; `invalid`). Whatever happens, the answer comes within the
write timeout, and a write answered 503 `directory.unavailable` can never apply later: a record
the client library still delivers is past its deadline, and the API drops its producer, with the
records it still holds, after a timeout (docs/operations.md, "Directory writes and what a 503 means").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from datetime import datetime

from exchange.core.directory import DirectoryEvent
from exchange.core.directory_apply import Verdict
from exchange.errors import WriteTimeout

Publish = Callable[[list[DirectoryEvent], float], None]
Send = Callable[[list[DirectoryEvent], Callable[[], None]], None]  # events, then "handed to the client" callback


ABSENT = "absent"  # the feed read the log past the write's deadline and did not find it: it never applies


class Pending:
    """The writes this process is waiting for, by write id; resolved by the feed's verdicts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[threading.Event, list[Verdict]]] = {}
        self._events: dict[str, DirectoryEvent] = {}
        self.mine: set[str] = set()

    def expect(self, event: DirectoryEvent) -> None:
        write = event.write or ""
        with self._lock:
            self._waiting[write] = (threading.Event(), [])
            self._events[write] = event
            self.mine.add(write)

    def past_deadline(self, now: datetime) -> list[DirectoryEvent]:
        """The writes still waiting whose deadline has passed (the feed may confirm them absent)."""
        with self._lock:
            return [e for w, e in self._events.items() if w in self._waiting and e.deadline and e.deadline < now]

    def resolve(self, verdict: Verdict) -> None:
        """Called by the feed for every event it reads (under the state lock: it never blocks)."""
        with self._lock:
            found = self._waiting.get(verdict.event.write or "")
        if found is not None:
            found[1].append(verdict)
            found[0].set()

    def wait(self, write: str, timeout_s: float) -> Verdict | None:
        with self._lock:
            event, verdicts = self._waiting[write]
        event.wait(max(timeout_s, 0.0))
        with self._lock:
            self._waiting.pop(write, None)
            self._events.pop(write, None)
        return verdicts[0] if verdicts else None


class BoundedPublisher:
    """Publishes directory events within a bound, whatever the client library does meanwhile.

    Publishing runs on one thread of its own; a caller waits at most `timeout_s` for the broker's
    acknowledgement. After a timeout the producer is replaced before the next write, so the
    records it still holds are dropped rather than delivered late.
    """

    def __init__(self, open_producer: Callable[[], Send], close_producer: Callable[[], None]) -> None:
        self._open, self._close = open_producer, close_producer
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="directory-writes")
        self._send: Send | None = None
        self._discard = threading.Event()

    def publish(self, events: list[DirectoryEvent], timeout_s: float) -> None:
        """Publish and wait for the acknowledgement; `WriteTimeout` (`maybe_sent`: whether the records
        reached the client's send buffer, so that the broker may still append them) after `timeout_s`."""
        handed: list[bool] = []
        future: Future[None] = self._executor.submit(self._publish, events, time.monotonic() + timeout_s, handed)
        try:
            future.result(timeout=timeout_s)
        except FutureTimeout:
            self._discard.set()
            timed_out = WriteTimeout(f"the broker did not acknowledge the directory write within {timeout_s:g} s")
            timed_out.maybe_sent = bool(handed)
            raise timed_out from None

    def _publish(self, events: list[DirectoryEvent], give_up_at: float, handed: list[bool]) -> None:
        if time.monotonic() > give_up_at:
            return  # its request was answered 503 while an earlier write held the thread: never send it
        if self._discard.is_set() and self._send is not None:
            self._send = None
            self._close()
        self._discard.clear()
        if self._send is None:
            self._send = self._open()
        self._send(events, lambda: handed.append(True))

    def close(self) -> None:
        """Drop what is unsent (close the producer at once), then let the publishing thread finish."""
        if self._send is not None:
            self._close()
        self._executor.shutdown(wait=True, cancel_futures=True)
