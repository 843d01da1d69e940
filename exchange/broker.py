"""The local single-node Apache Kafka broker (KRaft) behind `govx kafka up|down|status`.

The broker jars come from Maven Central through `deploy/kafka/pom.xml` and are cached per
version; storage, configuration, log and pid file live under `<data dir>/kafka`.
"""

from __future__ import annotations

import base64
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from exchange import transport
from exchange.errors import BrokerError
from exchange.paths import kafka_deploy_dir
from exchange.settings import Settings

Ping = Callable[[str, float], transport.ClusterInfo | None]


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

    @classmethod
    def from_settings(cls, settings: Settings) -> BrokerLayout:
        return cls(settings.cache_dir, settings.data_dir, settings.kafka_host, settings.kafka_port,
                   settings.controller_port, settings.kafka_heap)

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.port}"

    @property
    def home(self) -> Path:
        return (self.data_dir / "kafka").resolve()

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
    return "\n".join([
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
    ])


def _cluster_id() -> str:
    while True:
        encoded = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not encoded.startswith("-"):
            return encoded


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _log_tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return "(no broker log was written)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def _child_exited(pid: int) -> bool | None:
    """For our own child: whether it has exited (reaping it); None if `pid` is not our child."""
    try:
        done, _ = os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return None
    return done == pid


def _process_alive(pid: int, marker: str) -> bool:
    """True if `pid` runs and its command line contains `marker` (guards against pid reuse)."""
    exited = _child_exited(pid)
    if exited is not None:
        return not exited
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and marker in cmdline


class LocalBroker:
    """Installs, starts, checks and stops one local broker."""

    def __init__(self, layout: BrokerLayout, *, ping: Ping = transport.ping) -> None:
        self.layout = layout
        self.version = kafka_version()
        self._ping = ping

    def status(self) -> BrokerStatus:
        pid = self._running_pid()
        return BrokerStatus(pid is not None, self.layout.bootstrap, pid, self.version, self.layout.home)

    def up(self, timeout_s: float = 120.0) -> BrokerStatus:
        """Start the broker unless it runs; return once it answers a metadata request."""
        if self._running_pid() is not None:
            self._wait_until_ready(None, timeout_s)
            return self.status()
        java = self._require(self.layout.java, "Java 17 or newer is needed to run Kafka; install a JDK")
        self._check_ports()
        libs = self.install()
        self._write_config()
        self._format_storage(java, libs)
        pid = self._spawn(java, libs)
        self._wait_until_ready(pid, timeout_s)
        return self.status()

    def down(self, timeout_s: float = 60.0) -> bool:
        """Stop the broker by its pid; True if one was running. Safe to call twice."""
        pid = self._running_pid()
        if pid is None:
            self.layout.pid_file.unlink(missing_ok=True)
            return False
        os.kill(pid, signal.SIGTERM)
        if not self._wait_for_exit(pid, timeout_s):
            os.kill(pid, signal.SIGKILL)
            self._wait_for_exit(pid, 10.0)
        self.layout.pid_file.unlink(missing_ok=True)
        return True

    def install(self) -> Path:
        """The cached broker jars, resolved from Maven Central on first use."""
        libs = self.layout.libs(self.version)
        if (libs.parent / ".complete").exists():
            return libs
        mvn = self._require(self.layout.maven, "Maven is needed once to fetch the Kafka broker jars")
        staging = libs.parent.with_name(libs.parent.name + f".partial-{os.getpid()}")
        shutil.rmtree(staging, ignore_errors=True)
        command = [mvn, "-B", "-q", "-f", str(kafka_deploy_dir() / "pom.xml"), "dependency:copy-dependencies",
                   "-DincludeScope=runtime", f"-DoutputDirectory={staging / 'libs'}"]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            shutil.rmtree(staging, ignore_errors=True)
            raise BrokerError(f"Maven could not fetch Kafka {self.version}:\n{(result.stdout + result.stderr)[-3000:]}")
        (staging / ".complete").write_text(self.version)
        shutil.rmtree(libs.parent, ignore_errors=True)
        staging.rename(libs.parent)
        return libs

    def _require(self, program: str, advice: str) -> str:
        found = shutil.which(program)
        if found is None:
            raise BrokerError(f"{program!r} was not found on PATH. {advice}.")
        return found

    def _check_ports(self) -> None:
        for port in (self.layout.port, self.layout.controller_port):
            if not _port_free(self.layout.host, port):
                raise BrokerError(
                    f"port {port} on {self.layout.host} is taken by another process; stop it or choose "
                    "another port with GOVX_KAFKA_PORT / GOVX_KAFKA_CONTROLLER_PORT")

    def _write_config(self) -> None:
        self.layout.home.mkdir(parents=True, exist_ok=True)
        self.layout.config_file.write_text(server_properties(self.layout), encoding="utf-8")

    def _format_storage(self, java: str, libs: Path) -> None:
        if (self.layout.storage / "meta.properties").exists():
            return
        command = [java, *self._jvm_options(libs), "kafka.tools.StorageTool", "format",
                   "-t", _cluster_id(), "-c", str(self.layout.config_file)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
        if result.returncode != 0:
            raise BrokerError(f"formatting Kafka storage failed:\n{(result.stdout + result.stderr)[-3000:]}")

    def _jvm_options(self, libs: Path) -> list[str]:
        log4j = kafka_deploy_dir() / "log4j2.properties"
        return [f"-Xmx{self.layout.heap}", "-XX:+UseG1GC", "-Djava.awt.headless=true",
                f"-Dlog4j2.configurationFile={log4j}", "-cp", f"{libs}/*"]

    def _spawn(self, java: str, libs: Path) -> int:
        command = [java, *self._jvm_options(libs), "kafka.Kafka", str(self.layout.config_file)]
        with open(self.layout.log_file, "ab") as log, open(os.devnull, "rb") as devnull:
            actions = [(os.POSIX_SPAWN_DUP2, devnull.fileno(), 0), (os.POSIX_SPAWN_DUP2, log.fileno(), 1),
                       (os.POSIX_SPAWN_DUP2, log.fileno(), 2)]
            pid = os.posix_spawn(java, command, dict(os.environ), file_actions=actions, setsid=True)
        self.layout.pid_file.write_text(str(pid))
        return pid

    def _wait_until_ready(self, pid: int | None, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while self._ping(self.layout.bootstrap, 2.0) is None:
            if pid is not None and _child_exited(pid):
                self.layout.pid_file.unlink(missing_ok=True)
                raise BrokerError(f"the Kafka broker exited during start-up; the end of "
                                  f"{self.layout.log_file}:\n{_log_tail(self.layout.log_file)}")
            if time.monotonic() > deadline:
                raise BrokerError(f"the Kafka broker did not answer at {self.layout.bootstrap} within "
                                  f"{timeout_s:.0f}s; the end of its log:\n{_log_tail(self.layout.log_file)}")
            time.sleep(0.2)

    def _wait_for_exit(self, pid: int, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        while _process_alive(pid, str(self.layout.config_file)):
            if time.monotonic() > deadline:
                return False
            time.sleep(0.1)
        return True

    def _running_pid(self) -> int | None:
        try:
            pid = int(self.layout.pid_file.read_text().strip())
        except (FileNotFoundError, ValueError):
            return None
        return pid if _process_alive(pid, str(self.layout.config_file)) else None
