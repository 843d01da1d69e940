"""`govx inbox --node DIV/DEPT`: tail a consumer node's deliveries, decoded with their view schemas."""

from __future__ import annotations

import json
import time

import typer
from rich.console import Console
from rich.markup import escape

from exchange.core.catalogue import load_catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.directory import Node
from exchange.core.inbox import describe, needs_schemas
from exchange.core.message import Message
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.provision import read_directory
from exchange.kafka.schema_feed import load_published
from exchange.kafka.transport import kafka_transport
from exchange.runtime.settings import load_settings

console = Console()


def inbox(
    node: str = typer.Option(..., help="the consumer node, e.g. 440303/gongan"),
    from_beginning: bool = typer.Option(False, "--from-beginning", help="start at the inbox's first delivery"),
    as_json: bool = typer.Option(False, "--json", help="one JSON object per delivery"),
    max_deliveries: int | None = typer.Option(None, "--max", min=1, help="stop after this many deliveries"),
    seconds: float | None = typer.Option(None, "--for", min=0.1, help="stop after this many seconds"),
) -> int:
    """Print each delivery: event id, grant, view schema, fields, masks and the decoded record."""
    settings = load_settings()
    topics = Topics(settings.topic_namespace)
    try:
        consumer = Node.parse(node)
    except ValueError as exc:
        raise ConfigError(f"--node: {exc}") from exc
    registry, transport = SchemaRegistry(), kafka_transport(settings.bootstrap)
    load_published(transport.reader([topics.schemas]), registry)
    catalogue = load_catalogue()
    grants = read_directory(transport, topics, catalogue).grants
    reader = transport.reader([topics.inbox(consumer)], from_end=not from_beginning)
    shown, until = 0, None if seconds is None else time.monotonic() + seconds
    try:
        while (max_deliveries is None or shown < max_deliveries) and (until is None or time.monotonic() < until):
            for message in reader.poll(timeout_ms=500):
                if needs_schemas(registry, message) or _grant(message) not in grants:  # issued since we started
                    load_published(transport.reader([topics.schemas]), registry)
                    grants = read_directory(transport, topics, catalogue).grants
                _show(describe(registry, message, grants), as_json)
                shown += 1
                if max_deliveries is not None and shown >= max_deliveries:
                    break
    except KeyboardInterrupt:
        pass
    finally:
        reader.close()
    return 0


def _grant(message: Message) -> str:
    return dict(message.headers).get("govx_grant", b"").decode("utf-8", "replace")


def _show(delivery: dict[str, object], as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(delivery, ensure_ascii=False, default=str))
        return
    console.print(f"[bold]{delivery['event_id']}[/] {delivery['type']} from {delivery['source']} "
                  f"grant {delivery['grant']} ({delivery['where']})", highlight=False)
    if "error" in delivery:
        console.print(f"  [red]cannot decode[/]: {escape(str(delivery['error']))}", highlight=False)
        return
    console.print(f"  schema {delivery['schema_id']} {delivery['schema']}; masks: {delivery['masks'] or 'none'}",
                  highlight=False)
    console.print(f"  fields: {', '.join(map(str, delivery['fields']))}", highlight=False)  # type: ignore[call-overload]
    console.print("  " + escape(json.dumps(delivery["record"], ensure_ascii=False, default=str)), highlight=False)
