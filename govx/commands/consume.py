"""`govx consume`: department receivers reading their inboxes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

import typer
from rich.console import Console

from consumers.receiver import Receiver
from exchange.core.catalogue import load_catalogue
from exchange.core.directory import Node
from exchange.core.directory_view import DirectoryView
from exchange.core.topics import Topics
from exchange.errors import ConfigError, InvalidValueError
from exchange.kafka.directory_feed import DirectoryFeed
from exchange.kafka.transport import kafka_transport
from exchange.runtime.ledger import LedgerWriter
from exchange.runtime.service import announce_ready, configure_logging, metrics_server, stop_on_signals
from exchange.runtime.settings import load_settings

console = Console(stderr=True)


def consume(
    ledger: Path | None = typer.Option(None, help="append every delivery read to this JSON-lines ledger"),
    node: str | None = typer.Option(None, help="read only this node's inbox, e.g. 440100/gongan (default: all)"),
    group: str | None = typer.Option(None, help="consumer group (default: <namespace>-receivers)"),
    duration: float | None = typer.Option(None, min=0.1, help="stop after this many seconds (default: on SIGTERM)"),
    metrics_port: int = typer.Option(0, help="serve /metrics on this port (0 = any free port)"),
) -> int:
    """Receive deliveries, check each against its grant, dedupe by event id, and record them."""
    configure_logging("WARNING")
    settings = load_settings()
    try:
        only = None if node is None else Node.parse(node)
    except InvalidValueError as exc:
        raise ConfigError(f"--node: {exc}") from exc
    topics = Topics(settings.topic_namespace)
    stop = stop_on_signals()
    view = DirectoryView(load_catalogue().departments)
    transport = kafka_transport(settings.bootstrap)
    feed = DirectoryFeed(transport.reader([topics.directory]), view)
    feed.catch_up()
    pattern = None if only is None else topics.inbox_pattern_of(only)
    writer = LedgerWriter(ledger) if ledger else None
    with metrics_server(settings.metrics_host, metrics_port) as (metrics, port):
        receiver = Receiver(transport, topics, view, metrics, ledger=writer, group=group, pattern=pattern)
        try:
            _run(receiver, feed, stop, duration, lambda: announce_ready(role="receiver", metrics_port=port,
                                                                         pid=os.getpid()))
        finally:
            receiver.close()
            feed.close()
            if writer is not None:
                writer.close()
    console.print(f"received {len(receiver.seen)} distinct deliveries, {receiver.duplicates} duplicate(s)")
    return 0


def _run(receiver: Receiver, feed: DirectoryFeed, stop: threading.Event, duration: float | None,
         ready: Callable[[], None]) -> None:
    """Poll the directory and the inboxes until stopped; say ready once partitions are assigned."""
    ends = time.monotonic() + duration if duration else float("inf")
    joined_by = time.monotonic() + 10
    announced = False
    while not stop.is_set() and time.monotonic() < ends:
        feed.poll(0)
        receiver.poll(200)
        if not announced and (receiver.assigned() or time.monotonic() > joined_by):
            ready()
            announced = True
