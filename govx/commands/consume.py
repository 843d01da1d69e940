"""`govx consume`: department receivers reading their inboxes."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import typer
from rich.console import Console

from consumers.receiver import Receiver
from exchange.core.catalogue import load_catalogue
from exchange.core.directory import Node
from exchange.core.directory_view import DirectoryView
from exchange.core.security import node_principal
from exchange.core.topics import Topics
from exchange.errors import ConfigError, InvalidValueError
from exchange.kafka.directory_feed import DirectoryFeed
from exchange.kafka.transport import Transport, kafka_transport
from exchange.runtime.ledger import LedgerWriter
from exchange.runtime.metrics import Metrics, counting_refusals
from exchange.runtime.retry import GIVE_UP_S, RetryBudget
from exchange.runtime.secrets import client_security
from exchange.runtime.service import announce_ready, configure_logging, metrics_server, stop_on_signals
from exchange.runtime.settings import Settings, load_settings

console = Console(stderr=True)


def _nodes(texts: Sequence[str], settings: Settings) -> list[Node]:
    try:
        nodes = [Node.parse(text) for text in texts]
    except InvalidValueError as exc:
        raise ConfigError(f"--node: {exc}") from exc
    if settings.security == "sasl" and not nodes:
        raise ConfigError("on a secure cluster a receiver reads as department nodes: give --node (repeatable)")
    return nodes


def _transport(settings: Settings, node: Node | None) -> Transport:
    """Plaintext: one transport for all, on the chosen client; secure: each node authenticates as itself,
    on kafka-python (a receiver per node, dozens in one process: librdkafka's threads per client made them
    too slow to join on 2 cores, as the secure smoke run showed)."""
    if node is not None and settings.security == "sasl":
        security = client_security(settings, node_principal(node))
        return kafka_transport(settings.bootstrap, security, client="kafka-python")
    return kafka_transport(settings.bootstrap, client_security(settings), client=settings.kafka_client)


def _ledgers(ledger: Path | None, nodes: list[Node]) -> list[LedgerWriter | None]:
    """One ledger, or with several nodes one per node beside it (`<stem>.<division>-<department>.jsonl`)."""
    if ledger is None:
        return [None] * max(len(nodes), 1)
    if len(nodes) <= 1:
        return [LedgerWriter(ledger)]
    return [LedgerWriter(ledger.with_name(f"{ledger.stem}.{n.division}-{n.department}{ledger.suffix}")) for n in nodes]


def _receivers(settings: Settings, topics: Topics, nodes: list[Node], view: DirectoryView, metrics: Metrics,
               writers: list[LedgerWriter | None], group: str | None) -> list[Receiver]:
    """One receiver for every inbox (no nodes), else one per node, in the node's own group."""
    if not nodes:
        return [Receiver(_transport(settings, None), topics, view, metrics, ledger=writers[0], group=group)]
    return [Receiver(_transport(settings, node), topics, view, metrics, ledger=writer,
                     group=(group if len(nodes) == 1 else f"{group}-{node.division}-{node.department}")
                     if group else topics.node_group(node), pattern=topics.inbox_pattern_of(node))
            for node, writer in zip(nodes, writers, strict=True)]


def consume(
    ledger: Path | None = typer.Option(None, help="append every delivery read to this JSON-lines ledger"),
    node: list[str] = typer.Option([], help="read only this node's inbox, e.g. 440100/gongan (repeatable; "
                                            "default: all inboxes; required on a secure cluster)"),
    group: str | None = typer.Option(None, help="consumer group (default: <namespace>-receivers, or for a "
                                                "node its own <namespace>-<division>-<department>)"),
    duration: float | None = typer.Option(None, min=0.1, help="stop after this many seconds (default: on SIGTERM)"),
    metrics_port: int = typer.Option(0, help="serve /metrics on this port (0 = any free port)"),
    give_up_after: float = typer.Option(GIVE_UP_S, min=1.0, help="exit (status 2, with the reason) after failing "
                                        "this many seconds in a row; a broker restart is waited out"),
) -> int:
    """Receive deliveries, check each against its grant, dedupe by event id, and record them."""
    configure_logging("WARNING")
    settings = load_settings()
    nodes = _nodes(node, settings)
    topics = Topics(settings.topic_namespace)
    stop = stop_on_signals()
    view = DirectoryView(load_catalogue().departments)
    feed = DirectoryFeed(_transport(settings, nodes[0] if nodes else None).reader([topics.directory]), view)
    feed.catch_up()
    writers = _ledgers(ledger, nodes)
    with metrics_server(settings.metrics_host, metrics_port) as (metrics, port), counting_refusals(metrics):
        receivers = _receivers(settings, topics, nodes, view, metrics, writers, group)
        try:
            _run(receivers, feed, stop, duration, lambda: announce_ready(role="receiver", metrics_port=port,
                                                                          pid=os.getpid()), give_up_after)
        finally:
            for receiver in receivers:
                receiver.close()
            feed.close()
            for writer in writers:
                if writer is not None:
                    writer.close()
    console.print(f"received {sum(len(r.seen) for r in receivers)} distinct deliveries, "
                  f"{sum(r.duplicates for r in receivers)} duplicate(s)")
    return 0


def _run(receivers: list[Receiver], feed: DirectoryFeed, stop: threading.Event, duration: float | None,
         ready: Callable[[], None], give_up_s: float = GIVE_UP_S) -> None:
    """Poll the directory and the inboxes until stopped; say ready once partitions are assigned.
    Several receivers (one per node) each poll in a thread of their own."""
    ends = time.monotonic() + duration if duration else float("inf")
    joined_by = time.monotonic() + 10
    announced = False
    done, failures = threading.Event(), list[BaseException]()
    threads = [threading.Thread(target=_poll_until, args=(r, done, failures, give_up_s), daemon=True)
               for r in receivers[1:]]
    for thread in threads:
        thread.start()
    budget = RetryBudget("receiver", give_up_s)  # a broker restart or a coordinator move is waited out, not forever
    try:
        while not stop.is_set() and time.monotonic() < ends:
            budget.call(lambda: (feed.poll(0), receivers[0].poll(200)), stop.wait)
            if failures:
                raise failures[0]
            if not announced and (all(r.assigned() for r in receivers) or time.monotonic() > joined_by):
                ready()
                announced = True
    finally:
        done.set()
        for thread in threads:
            thread.join(30)


def _poll_until(receiver: Receiver, done: threading.Event, failures: list[BaseException], give_up_s: float) -> None:
    budget = RetryBudget("receiver", give_up_s)
    try:
        while not done.is_set():
            budget.call(lambda: receiver.poll(200), done.wait)
    except BaseException as failure:  # re-raised by the main thread
        failures.append(failure)
