"""`govx registry`'s app served in a thread on a free port, for tests with Confluent's clients."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import uvicorn

from exchange.api.keys import Keys
from exchange.api.registry import create_registry_app
from exchange.api.registry_feed import RegistryFeed
from exchange.core.catalogue import Catalogue
from exchange.core.topics import Topics
from exchange.kafka.transport import kafka_transport


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_registry(bootstrap: str, topics: Topics, catalogue: Catalogue,
                     keys: Mapping[str, str]) -> Iterator[str]:
    """The registry's URL while the block runs; the directory must be provisioned first."""
    feed = RegistryFeed(kafka_transport(bootstrap), topics, catalogue.departments)
    feed.start()
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(create_registry_app(feed, Keys(keys)), host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True, name="registry")
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise AssertionError("the registry did not start within 30 s")
        thread.join(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(30)
        feed.stop()
