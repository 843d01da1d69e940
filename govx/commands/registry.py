"""`govx registry`: the Confluent-compatible schema registry over the exchange's schemas and ids."""

from __future__ import annotations

import os

import typer
import uvicorn
from rich.console import Console

from exchange.api.keys import Keys
from exchange.api.registry import create_registry_app
from exchange.api.registry_feed import RegistryFeed
from exchange.core.catalogue import load_catalogue
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.transport import kafka_transport
from exchange.runtime.service import configure_logging
from exchange.runtime.settings import load_settings

console = Console(stderr=True)


def registry(
    host: str | None = typer.Option(None, help="listen address (default GOVX_REGISTRY_HOST)"),
    port: int | None = typer.Option(None, help="listen port (default GOVX_REGISTRY_PORT, 8081)"),
    log_level: str = typer.Option("INFO", help="logging level"),
) -> int:
    """Serve the schema registry that Confluent serializers point at (schema.registry.url)."""
    configure_logging(log_level)
    settings = load_settings()
    if settings.api_keys_file is None:
        raise ConfigError("set GOVX_API_KEYS_FILE to a keys file; registering needs a department's key "
                          "(`govx api-keys --out FILE --all` writes one)")
    keys = Keys.load(settings.api_keys_file)
    topics, departments = Topics(settings.topic_namespace), load_catalogue().departments
    feed = RegistryFeed(kafka_transport(settings.bootstrap), topics, departments)
    feed.start()
    listen_host = host or settings.registry_host
    listen_port = settings.registry_port if port is None else port
    console.print(f"govx schema registry on http://{listen_host}:{listen_port} (pid {os.getpid()})")
    try:
        uvicorn.run(create_registry_app(feed, keys), host=listen_host, port=listen_port,
                    log_level=log_level.lower())
    finally:
        feed.stop()
    return 0
