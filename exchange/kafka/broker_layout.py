"""Where a local broker lives, how it is configured, and what `govx kafka status` reports.

Pure configuration: the broker's files under `<data dir>/kafka` (a cluster's node N under
`<data dir>/kafka/node-N`), its jars under the cache folder, and the `server.properties` of a
combined broker+controller node (KRaft) on loopback. A single node keeps every topic, internal
ones too, at replication 1; in a cluster of N nodes (`govx kafka up --brokers 3`) node i listens on
the client and controller ports + 2(i-1), all nodes are voters, and every topic — the internal
offsets and transaction-state topics too — has replication min(N, 3) with min.insync.replicas 2.
"""

from __future__ import annotations

import base64
import re
import socket
import uuid
from dataclasses import dataclass, replace
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
    secure: bool = False  # SASL/SCRAM + ACLs: exchange/kafka/secure.py (a single node only)
    secrets_file: Path | None = None
    node_id: int = 1
    nodes: int = 1

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

    def node(self, node_id: int, nodes: int) -> BrokerLayout:
        """Node `node_id` of a local cluster of `nodes` that this layout's ports start."""
        if not 1 <= node_id <= nodes:
            raise BrokerError(f"there is no node {node_id}: the cluster has nodes 1 to {nodes}")
        shift = 2 * (node_id - 1)
        return replace(self, port=self.base_port + shift, controller_port=self.base_controller_port + shift,
                       node_id=node_id, nodes=nodes)

    @property
    def base_port(self) -> int:
        return self.port - 2 * (self.node_id - 1)

    @property
    def base_controller_port(self) -> int:
        return self.controller_port - 2 * (self.node_id - 1)

    @property
    def voters(self) -> str:
        """`controller.quorum.voters`: every node of the cluster."""
        return ",".join(f"{i}@{self.host}:{self.base_controller_port + 2 * (i - 1)}" for i in range(1, self.nodes + 1))

    @property
    def cluster_bootstrap(self) -> str:
        """Every node's client address: what clients of the whole cluster bootstrap from."""
        return ",".join(f"{self.host}:{self.base_port + 2 * (i - 1)}" for i in range(1, self.nodes + 1))

    @property
    def replication(self) -> int:
        return min(self.nodes, 3)

    @property
    def min_insync(self) -> int:
        return 2 if self.replication >= 3 else 1

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def root(self) -> Path:
        """`<data dir>/kafka` (`kafka-secure` for the secure broker): the single node's home, and the
        folder of a cluster's nodes."""
        return (self.data_dir / ("kafka-secure" if self.secure else "kafka")).resolve()

    @property
    def home(self) -> Path:
        return self.root if self.nodes == 1 else self.root / f"node-{self.node_id}"

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


@dataclass(frozen=True)
class Listener:
    """One listener of a node: its name, security protocol and port; whether clients are told of it."""

    name: str
    protocol: str
    port: int
    advertised: bool = True


def listeners(layout: BrokerLayout) -> tuple[Listener, ...]:
    """The node's listeners: clients and brokers on PLAINTEXT, the KRaft quorum on CONTROLLER."""
    return (Listener("PLAINTEXT", "PLAINTEXT", layout.port), Listener("CONTROLLER", "PLAINTEXT",
                                                                      layout.controller_port, advertised=False))


def listener_properties(layout: BrokerLayout, chosen: tuple[Listener, ...]) -> list[str]:
    return [
        "listeners=" + ",".join(f"{lst.name}://{layout.host}:{lst.port}" for lst in chosen),
        "advertised.listeners=" + ",".join(f"{lst.name}://{layout.host}:{lst.port}" for lst in chosen
                                           if lst.advertised),
        "controller.listener.names=CONTROLLER",
        "inter.broker.listener.name=PLAINTEXT",
        "listener.security.protocol.map=" + ",".join(f"{lst.name}:{lst.protocol}" for lst in chosen),
    ]


def replication_properties(layout: BrokerLayout) -> list[str]:
    """Every topic alike, internal ones too: replication min(nodes, 3), min.insync.replicas 2 in a cluster."""
    factor, min_isr = layout.replication, layout.min_insync
    return [
        f"default.replication.factor={factor}",
        f"min.insync.replicas={min_isr}",
        f"offsets.topic.replication.factor={factor}",
        f"transaction.state.log.replication.factor={factor}",
        f"transaction.state.log.min.isr={min_isr}",
        f"share.coordinator.state.topic.replication.factor={factor}",
        f"share.coordinator.state.topic.min.isr={min_isr}",
    ]


def server_properties(layout: BrokerLayout) -> str:
    """The configuration of one combined broker+controller node on loopback."""
    lines = [
        "process.roles=broker,controller",
        f"node.id={layout.node_id}",
        f"controller.quorum.voters={layout.voters}",
        *listener_properties(layout, listeners(layout)),
        f"log.dirs={layout.storage}",
        "num.partitions=1",
        "auto.create.topics.enable=false",
        *replication_properties(layout),
        "offsets.topic.num.partitions=10",
        "transaction.state.log.num.partitions=10",
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
