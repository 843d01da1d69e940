"""The child processes of a run: started in their own sessions, ready when they say so.

Each child is `python -m govx.cli <command>`; it prints one JSON ready line on stdout and
logs to its own file. Children get their own session so a Ctrl-C reaches only `govx run`, which
then stops them in order (producers first, then — once drained — receivers and workers).
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from exchange.errors import RunError


@dataclass
class Child:
    """One child process and what it announced."""

    name: str
    role: str
    process: subprocess.Popen[bytes]
    log: Path
    ready: dict[str, Any] = field(default_factory=dict)

    @property
    def metrics_port(self) -> int | None:
        port = self.ready.get("metrics_port")
        return int(port) if port is not None else None

    def running(self) -> bool:
        return self.process.poll() is None

    def log_tail(self, lines: int = 15) -> str:
        text = self.log.read_text(encoding="utf-8", errors="replace") if self.log.exists() else ""
        return "\n".join(text.splitlines()[-lines:]) or "(nothing logged)"


class Children:
    """Starts, watches and stops the processes of one run."""

    def __init__(self, env: Mapping[str, str], log_dir: Path) -> None:
        self._env = dict(env)
        self._log_dir = log_dir
        log_dir.mkdir(parents=True, exist_ok=True)
        self.all: list[Child] = []

    def start(self, name: str, role: str, args: Sequence[str]) -> Child:
        log = self._log_dir / f"{name}.log"
        with log.open("ab") as stderr:
            process = subprocess.Popen(  # noqa: S603 - our own interpreter running our own CLI
                [sys.executable, "-m", "govx.cli", *args], stdout=subprocess.PIPE, stderr=stderr,
                stdin=subprocess.DEVNULL, env=self._env, start_new_session=True)
        child = Child(name, role, process, log)
        self.all.append(child)
        return child

    def wait_ready(self, children: Sequence[Child], timeout_s: float = 120.0) -> None:
        """Block until every child has printed its ready line; `RunError` if one dies first."""
        deadline = time.monotonic() + timeout_s
        for child in children:
            line = _read_line(child.process.stdout, deadline) if child.process.stdout else None
            if not line:
                raise RunError(f"{child.name} did not become ready (exit status {child.process.poll()}); "
                               f"the end of {child.log}:\n{child.log_tail()}")
            child.ready = json.loads(line)

    def of(self, role: str) -> list[Child]:
        return [child for child in self.all if child.role == role]

    def stop(self, children: Sequence[Child], timeout_s: float = 60.0) -> None:
        """SIGTERM, wait, then SIGKILL what is left; reap everything."""
        for child in children:
            if child.running():
                child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for child in children:
            try:
                child.process.wait(max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(child.process.pid, signal.SIGKILL)
                child.process.wait(10)
            if child.process.stdout is not None:
                child.process.stdout.close()

    def stop_all(self) -> None:
        """Stop whatever still runs and release every pipe, whatever ended the children."""
        self.stop([child for child in self.all if child.process.returncode is None], timeout_s=20)
        for child in self.all:
            if child.process.stdout is not None and not child.process.stdout.closed:
                child.process.stdout.close()


def _read_line(stream: IO[bytes], deadline: float) -> str | None:
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    try:
        while (remaining := deadline - time.monotonic()) > 0:
            if selector.select(min(remaining, 0.5)):
                raw = stream.readline()
                return raw.decode().strip() or None
        return None
    finally:
        selector.close()
