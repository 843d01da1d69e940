"""`govx api` and `govx api-keys`: the directory and lookup API, and its department keys."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import typer
import uvicorn
from prometheus_client import CollectorRegistry
from rich.console import Console

from exchange.api.app import create_app
from exchange.api.keys import Keys, generate
from exchange.api.link import KafkaLink
from exchange.api.state import ApiState, Limits
from exchange.core.catalogue import load_catalogue
from exchange.core.directory import Node
from exchange.core.regions import Level, nodes
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.transport import kafka_transport
from exchange.runtime.metrics import Metrics
from exchange.runtime.secrets import client_security
from exchange.runtime.service import configure_logging
from exchange.runtime.settings import load_settings

console = Console(stderr=True)


def api(
    host: str | None = typer.Option(None, help="listen address (default GOVX_API_HOST)"),
    port: int | None = typer.Option(None, help="listen port (default GOVX_API_PORT)"),
    log_level: str = typer.Option("INFO", help="logging level"),
) -> int:
    """Serve the directory and record lookup API (OpenAPI at /docs, /metrics, /health)."""
    configure_logging(log_level)
    settings = load_settings()
    if settings.api_keys_file is None:
        raise ConfigError("set GOVX_API_KEYS_FILE to a keys file; `govx api-keys --out FILE --all` writes one")
    keys = Keys.load(settings.api_keys_file)
    catalogue = load_catalogue()
    topics = Topics(settings.topic_namespace)
    security = client_security(settings)  # GOVX_PRINCIPAL=govx-api on a secure cluster
    link = KafkaLink(kafka_transport(settings.bootstrap, security), topics)
    limits = Limits(write_timeout_s=settings.directory_write_timeout_s, max_grant_days=settings.api_max_grant_days,
                    deadline_days=settings.approval_deadline_days,
                    lookups_per_minute=settings.api_lookups_per_minute, max_body_bytes=settings.api_max_body_bytes)
    state = ApiState(catalogue.departments, publish=link.publish, usage=link.usage,
                     metrics=Metrics(CollectorRegistry()), clock=lambda: datetime.now(UTC).astimezone(),
                     topics=topics, limits=limits)
    link.start(state)
    app = create_app(state, keys, follows_broker=True)
    console.print(f"govx API for {len(keys)} department nodes on http://{host or settings.api_host}:"
                  f"{port if port is not None else settings.api_port} (pid {os.getpid()})")
    try:
        uvicorn.run(app, host=host or settings.api_host, port=settings.api_port if port is None else port,
                    log_level=log_level.lower())
    finally:
        link.stop()
    return 0


def api_keys(
    out: Path = typer.Option(..., help="write the keys file here (it must not exist)"),
    node: list[str] = typer.Option([], help="a department node, e.g. 440100/gongan (repeat)"),
    all_nodes: bool = typer.Option(False, "--all", help="a key for every department at every division"),
    if_missing: bool = typer.Option(False, help="do nothing (successfully) when the file exists already"),
) -> int:
    """Write a keys file with a fresh random key per department node (for GOVX_API_KEYS_FILE)."""
    if out.exists():
        if if_missing:
            console.print(f"{out} exists; keeping its keys")
            return 0
        raise ConfigError(f"{out} exists; keys are never overwritten")
    chosen = [Node.parse(text) for text in node]
    if all_nodes:
        departments = load_catalogue().departments.values()
        chosen += [Node(d.code, dept.code) for d in nodes(list(Level))
                   for dept in departments if d.level in dept.levels]
    if not chosen:
        raise ConfigError("name at least one --node, or --all")
    out.write_text(generate(chosen), encoding="utf-8")
    out.chmod(0o600)
    console.print(f"wrote {len(set(chosen))} keys to {out}")
    return 0
