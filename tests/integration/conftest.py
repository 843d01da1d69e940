"""Integration tests run against the real Kafka broker; a missing broker fails them, never skips.

`make test` starts the local broker (`govx kafka up`) before pytest and stops it afterwards; run
alone, the session starts it here and stops it at the end. Each test gets its own topic namespace
(`t<hex>`), so tests never see each other's topics, groups or directory.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.security import ClientSecurity
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


@dataclass(frozen=True)
class SecureCluster:
    """The secure broker of the test session: SASL/SCRAM with ACLs, next to the plaintext one."""

    bootstrap: str
    secrets: Path
    admin: ClientSecurity
    env: dict[str, str]  # GOVX_ settings for a govx subprocess on it


@pytest.fixture(scope="session")
def secure_cluster(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecureCluster]:
    """A secure broker on the two ports after the plaintext broker's (GOVX_KAFKA_PORT+2, +3), with its
    own storage and secrets file; started for the first test that asks, stopped after the session."""
    data = tmp_path_factory.mktemp("secure-broker")
    layout = BrokerLayout(settings.cache_dir, data, settings.kafka_host, settings.kafka_port + 2,
                          settings.kafka_port + 3, secure=True, secrets_file=data / "secrets.json")
    broker = LocalBroker(layout)
    broker.up()
    env = {"GOVX_SECURITY": "sasl", "GOVX_BOOTSTRAP_SERVERS": layout.bootstrap,
           "GOVX_SECRETS_FILE": str(data / "secrets.json"), "GOVX_DATA_DIR": str(data),
           "GOVX_CACHE_DIR": str(settings.cache_dir)}
    try:
        yield SecureCluster(layout.bootstrap, data / "secrets.json", layout.admin, env)
    finally:
        broker.down()
