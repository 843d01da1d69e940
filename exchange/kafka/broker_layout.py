"""Where a local broker lives, how it is configured, and what `govx kafka status` reports.

Pure configuration: the broker's files under `<data dir>/kafka`, its jars under the cache folder,
and the `server.properties` of a single combined broker+controller node (KRaft) on loopback.
"""

from __future__ import annotations

import base64
import re
import socket
import uuid
from dataclasses import dataclass
from pathlib import Path

from exchange.core.paths import kafka_deploy_dir
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import BrokerError
from exchange.kafka import secure
from exchange.runtime.settings import Settings


def kafka_version(pom: Path | None = None) -> str:
    """The Kafka version the pom pins: the single source of truth."""
    text = (pom or kafka_deploy_dir() / "pom.xml").read_text(encoding="utf-8")
    found = re.search(r"<kafka\.version>([^<]+)</kafka\.version>", text)
    if found is None:
        raise BrokerError("deploy/kafka/pom.xml does not set <kafka.version>")
    return found.group(1)


@dataclass(frozen=True)
class BrokerLayout:
    """Where one local broker lives and how it listens."""

    cache_dir: Path
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = 9092
    controller_port: int = 9093
    heap: str = "1g"
    java: str = "java"
    maven: str = "mvn"
    secure: bool = False  # SASL/SCRAM + ACLs: exchange/kafka/secure.py
    secrets_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerLayout:
        return cls(settings.cache_dir, settings.data_dir, settings.kafka_host, settings.kafka_port,
                   settings.controller_port, settings.kafka_heap, secure=settings.security == "sasl",
                   secrets_file=settings.secrets_path)

    @property
    def secrets_path(self) -> Path:
        return self.secrets_file or self.data_dir / "secrets.json"

    @property
    def admin(self) -> ClientSecurity:
        """How govx administers this broker: as the super user when secure."""
        return secure.admin_security(self) if self.secure else PLAINTEXT

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def home(self) -> Path:
        return (self.data_dir / ("kafka-secure" if self.secure else "kafka")).resolve()

    @property
    def pid_file(self) -> Path:
        return self.home / "broker.pid"

    @property
    def log_file(self) -> Path:
        return self.home / "broker.log"

    @property
    def config_file(self) -> Path:
        return self.home / "server.properties"

    @property
    def storage(self) -> Path:
        return self.home / "storage"

    def libs(self, version: str) -> Path:
        return (self.cache_dir / f"kafka-{version}" / "libs").resolve()


@dataclass(frozen=True)
class BrokerStatus:
    """Whether the local broker runs, and where."""

    running: bool
    bootstrap: str
    pid: int | None
    version: str
    home: Path

    def describe(self) -> str:
        if not self.running:
            return f"Kafka {self.version} is not running (data in {self.home})"
        return f"Kafka {self.version} is running at {self.bootstrap} (pid {self.pid}, data in {self.home})"


def server_properties(layout: BrokerLayout) -> str:
    """The broker configuration: one combined broker+controller node on loopback."""
    lines = [
        "process.roles=broker,controller",
        "node.id=1",
        f"controller.quorum.voters=1@{layout.host}:{layout.controller_port}",
        f"listeners=PLAINTEXT://{layout.host}:{layout.port},CONTROLLER://{layout.host}:{layout.controller_port}",
        f"advertised.listeners=PLAINTEXT://{layout.host}:{layout.port}",
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT",
        f"log.dirs={layout.storage}",
        "num.partitions=1",
        "auto.create.topics.enable=false",
        "offsets.topic.replication.factor=1",
        "offsets.topic.num.partitions=10",
        "transaction.state.log.replication.factor=1",
        "transaction.state.log.min.isr=1",
        "transaction.state.log.num.partitions=10",
        "share.coordinator.state.topic.replication.factor=1",
        "share.coordinator.state.topic.min.isr=1",
        "group.initial.rebalance.delay.ms=0",
        "log.cleaner.min.compaction.lag.ms=0",
        "",
    ]
    return "\n".join(secure.apply_security(lines, layout) if layout.secure else lines)


def cluster_id() -> str:
    while True:
        encoded = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not encoded.startswith("-"):
            return encoded


def port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def log_tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no broker log was written)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
