"""What every long-running govx process shares: logging, `/metrics`, signals, a ready line.

A process announces itself on stdout with one JSON line (`{"ready": true, "metrics_port": …}`)
once it can work, so `govx run` (or a supervisor) knows where to scrape it.
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, start_http_server

from exchange.runtime.metrics import Metrics


def settle_heap(young_threshold: int = 50_000) -> None:
    """Once a service is up: freeze what is alive (directory, compiled rules, clients) out of the garbage
    collector's sight, and collect the young generation less often. The hot path's objects die by
    reference counting; without this, each full collection walks every long-lived object again."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(young_threshold, 20, 100)


def configure_logging(level: str = "INFO") -> None:
    logging.basicConfig(level=level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("kafka").setLevel(max(logging.WARNING, logging.getLevelName(level.upper())))


@contextmanager
def metrics_server(host: str, port: int) -> Iterator[tuple[Metrics, int]]:
    """A fresh metrics bundle served on `host:port` (0: any free port) for the block."""
    registry = CollectorRegistry()
    metrics = Metrics(registry)
    server, thread = start_http_server(port, addr=host, registry=registry)
    try:
        yield metrics, int(server.server_port)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT: the process finishes what it holds and exits."""
    stop = threading.Event()

    def handle(signum: int, frame: Any) -> None:
        logging.getLogger("govx").info("signal %d: stopping", signum)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def announce_ready(**details: Any) -> None:
    """Tell a supervisor the process is ready: one JSON line on stdout."""
    print(json.dumps({"ready": True, **details}), flush=True)
