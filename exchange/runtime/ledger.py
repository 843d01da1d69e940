"""Ledgers: what each producer sent and what each receiver got, as JSON lines, one file per process.

The report reconciles them: every delivery the grants call for must appear once in a receiver
ledger. A receiver records the position (topic, partition, offset) of each delivery it reads,
so a delivery written twice by the exchange (two offsets) is told apart from a receiver reading
the same offset again after a restart.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

from exchange.errors import ConfigError


@dataclass(frozen=True)
class Produced:
    """One event a simulator published (or tried to: `fault` names a deliberate defect)."""

    event_id: str
    resource: str
    key: str
    region: str
    division: str
    department: str
    action: str
    intended_ms: int
    sent_ms: int
    fault: str | None = None


@dataclass(frozen=True)
class Received:
    """One delivery a receiver read from a consumer node's inbox."""

    event_id: str
    consumer: str
    grant: str
    topic: str
    partition: int
    offset: int
    event_ms: int
    received_ms: int
    violation: str | None = None


Entry = Produced | Received
KINDS: dict[str, type[Entry]] = {"produced": Produced, "received": Received}


class LedgerWriter:
    """Appends entries to one ledger file; flushes every `flush_every` entries and on close."""

    def __init__(self, path: Path, *, flush_every: int = 500) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        _cut_torn_tail(path)
        self._file: IO[str] = path.open("a", encoding="utf-8")
        self._pending = 0
        self._flush_every = flush_every

    def write(self, entry: Entry) -> None:
        kind = "produced" if isinstance(entry, Produced) else "received"
        self._file.write(json.dumps({"kind": kind, **asdict(entry)}, ensure_ascii=False) + "\n")
        self._pending += 1
        if self._pending >= self._flush_every:
            self.flush()

    def flush(self) -> None:
        self._file.flush()
        self._pending = 0

    def close(self) -> None:
        self.flush()
        self._file.close()


def _cut_torn_tail(path: Path) -> None:
    """Drop a torn last line (the previous process was killed mid-write) before appending to `path`."""
    if not path.exists() or path.stat().st_size == 0:
        return
    with path.open("rb+") as file:
        data = file.read()
        if not data.endswith(b"\n"):
            file.truncate(data.rfind(b"\n") + 1)


def _parse(line: str) -> dict[str, Any] | None:
    """One ledger line as a dict; a torn entry followed by a whole one (a writer killed, then
    restarted by older code that appended after the tear) yields the whole one."""
    for start in (0, line.rfind('{"kind": ')):
        try:
            data = json.loads(line[max(start, 0):])
        except json.JSONDecodeError:
            continue
        if isinstance(data, dict) and data.get("kind") in KINDS:
            return data
    return None


def read_ledger(path: Path) -> Iterator[Entry]:
    """Every entry of one ledger file; a torn line (a process killed while writing it) is skipped."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, 1):
            data = _parse(line)
            if data is None:
                if line.endswith("\n") and not _torn(line):
                    raise ConfigError(f"{path}:{number}: not a ledger entry: {line[:80]!r}")
                continue
            try:
                yield KINDS[data.pop("kind")](**data)
            except TypeError as exc:
                raise ConfigError(f"{path}:{number}: not a ledger entry: {exc}") from exc


def _torn(line: str) -> bool:
    """A line that starts as an entry and breaks off: what a killed writer leaves."""
    return line.startswith('{"kind": ') and not line.rstrip("\n").endswith("}")


def read_ledgers(folder: Path) -> tuple[list[Produced], list[Received]]:
    """All entries of all `*.jsonl` ledgers in `folder`."""
    produced: list[Produced] = []
    received: list[Received] = []
    for path in sorted(folder.glob("*.jsonl")):
        for entry in read_ledger(path):
            if isinstance(entry, Produced):
                produced.append(entry)
            else:
                received.append(entry)
    return produced, received
