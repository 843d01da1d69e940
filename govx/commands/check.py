"""`govx check`: validate a department's events exactly as the exchange does, for its own CI.

Events come from captured records (`--file`, JSON lines as `govx sample --out` writes them; the
sharing rules are the catalogue's, no broker needed) or from the source topics on the cluster
(the rules are the cluster's directory). Exit status 1 when any event would be dead-lettered,
or when there was no event to check.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import typer
from rich.console import Console

from exchange.core.capture import read_lines
from exchange.core.catalogue import Catalogue, load_catalogue, seed_events
from exchange.core.codec import SchemaRegistry
from exchange.core.contract import check as check_events
from exchange.core.contract import where_of
from exchange.core.decide import Exchange
from exchange.core.directory import Node
from exchange.core.directory_view import DirectoryView
from exchange.core.message import Message
from exchange.core.rules import Rules
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.provision import read_directory
from exchange.kafka.transport import Transport, kafka_transport
from exchange.runtime.settings import load_settings
from govx.commands.check_output import as_json, print_table, write_junit

console = Console()


def check(
    file: list[Path] = typer.Option([], help="captured records, one JSON line each (repeat); else read topics"),
    resource: list[str] = typer.Option([], help="read this resource's source topic (repeat; default: all)"),
    node: str | None = typer.Option(None, help="check only the events of this node, e.g. 440303/weijian"),
    as_json_output: bool = typer.Option(False, "--json", help="print the report as JSON"),
    junit: Path | None = typer.Option(None, help="also write the report as JUnit XML (one test case per event)"),
    timeout: float = typer.Option(30.0, min=1.0, help="seconds to read the topics to their end"),
) -> int:
    """Validate events with the exchange's own checks; a table of reason codes, exit 1 on any failure."""
    settings = load_settings()
    topics, catalogue = Topics(settings.topic_namespace), load_catalogue()
    source = None if node is None else _source_of(node)
    if file:
        exchange = _exchange(_catalogue_view(catalogue), topics)
        messages = list(_from_files(file))
    else:
        transport = kafka_transport(settings.bootstrap)
        exchange = _exchange(read_directory(transport, topics, catalogue), topics)
        messages = [(where_of(m), m) for m in _from_topics(transport, topics, catalogue, resource, timeout)]
    mine = [(where, m) for where, m in messages if source is None or dict(m.headers).get("ce_source") == source]
    report = check_events(exchange, mine)
    skipped = len(messages) - len(mine)
    if as_json_output:
        typer.echo(json.dumps(as_json(report, skipped), ensure_ascii=False, indent=2))
    else:
        print_table(console, report, skipped)
    if junit is not None:
        write_junit(report, junit)
    return 0 if report.passed and report.verdicts else 1


def _source_of(node: str) -> bytes:
    try:
        parsed = Node.parse(node)
    except ValueError as exc:
        raise ConfigError(f"--node: {exc}") from exc
    return f"/{parsed.division}/{parsed.department}".encode()


def _catalogue_view(catalogue: Catalogue) -> DirectoryView:
    view = DirectoryView(catalogue.departments)
    view.apply_all(seed_events(catalogue, view, datetime.now(UTC)))
    return view


def _exchange(view: DirectoryView, topics: Topics) -> Exchange:
    rules = Rules(SchemaRegistry(), topics)
    rules.update(view, list(view.resources))
    return Exchange(rules)


def _from_files(paths: list[Path]) -> Iterator[tuple[str, Message]]:
    for path in paths:
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except OSError as exc:
            raise ConfigError(f"cannot read {path}: {exc}") from exc
        for number, message in enumerate(read_lines(lines, path.name), start=1):
            yield f"{path.name}#{number}", message


def _from_topics(transport: Transport, topics: Topics, catalogue: Catalogue, resources: list[str],
                 timeout_s: float) -> list[Message]:
    unknown = set(resources) - set(catalogue.resources)
    if unknown:
        raise ConfigError(f"unknown resource(s) {', '.join(sorted(unknown))}")
    reader = transport.reader([topics.source(r) for r in sorted(resources or catalogue.resources)])
    try:
        return reader.read_to_end(timeout_s)
    finally:
        reader.close()
