"""Integration tests run against the real Kafka broker; a missing broker fails them, never skips.

`make test` starts the local broker (`govx kafka up`) before pytest and stops it afterwards; run
alone, the session starts it here and stops it at the end. Each test gets its own topic namespace
(`t<hex>`), so tests never see each other's topics, groups or directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.topics import Topics
from exchange.kafka.admin import ping
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.runtime.settings import Settings, load_settings

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def settings() -> Settings:
    return load_settings()


@pytest.fixture(scope="session")
def bootstrap(settings: Settings) -> Iterator[str]:
    if ping(settings.bootstrap, 5.0) is not None:
        yield settings.bootstrap
        return
    if settings.bootstrap_servers:
        pytest.fail(f"no Kafka broker answers at GOVX_BOOTSTRAP_SERVERS={settings.bootstrap_servers}")
    broker = LocalBroker(BrokerLayout.from_settings(settings))
    broker.up()
    try:
        yield settings.bootstrap
    finally:
        broker.down()


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def topics() -> Topics:
    return Topics(f"t{uuid.uuid4().hex[:10]}")


@pytest.fixture
def env_without_govx() -> dict[str, str]:
    """The process environment without GOVX_ variables, for subprocesses configured explicitly; the Kafka
    client the suite runs on (`GOVX_KAFKA_CLIENT`) is kept, so subprocesses use it too."""
    return {k: v for k, v in os.environ.items()
            if not k.upper().startswith("GOVX_") or k.upper() == "GOVX_KAFKA_CLIENT"}
