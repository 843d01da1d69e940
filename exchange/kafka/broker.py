"""The local single-node Apache Kafka broker (KRaft) behind `govx kafka up|down|status`.

The broker jars come from Maven Central through `deploy/kafka/pom.xml` and are cached per
version; storage, configuration, log and pid file live under `<data dir>/kafka` (see
`broker_layout`). The broker runs in its own session, so it outlives the command that started it;
`down` stops it by the pid it wrote, checking the pid still is that broker.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from exchange.core.paths import kafka_deploy_dir
from exchange.core.security import ClientSecurity
from exchange.errors import BrokerError
from exchange.kafka import admin, secure
from exchange.kafka.broker_layout import (
    BrokerLayout,
    BrokerStatus,
    cluster_id,
    kafka_version,
    log_tail,
    port_free,
    server_properties,
)

Ping = Callable[[str, float, ClientSecurity], admin.ClusterInfo | None]
__all__ = ["BrokerLayout", "BrokerStatus", "LocalBroker", "kafka_version"]


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

    def __init__(self, layout: BrokerLayout, *, ping: Ping = admin.ping) -> None:
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
            if not port_free(self.layout.host, port):
                raise BrokerError(
                    f"port {port} on {self.layout.host} is taken by another process; stop it or choose "
                    "another port with GOVX_KAFKA_PORT / GOVX_KAFKA_CONTROLLER_PORT")

    def _write_config(self) -> None:
        self.layout.home.mkdir(parents=True, exist_ok=True)
        self.layout.config_file.write_text(server_properties(self.layout), encoding="utf-8")
        self.layout.config_file.chmod(0o600)  # the secure broker's own password is in it

    def _format_storage(self, java: str, libs: Path) -> None:
        if (self.layout.storage / "meta.properties").exists():
            return
        command = [java, *self._jvm_options(libs), "kafka.tools.StorageTool", "format",
                   "-t", cluster_id(), "-c", str(self.layout.config_file),
                   *(secure.format_arguments(self.layout) if self.layout.secure else ())]
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
        while self._ping(self.layout.bootstrap, 2.0, self.layout.admin) is None:
            if pid is not None and _child_exited(pid):
                self.layout.pid_file.unlink(missing_ok=True)
                raise BrokerError(f"the Kafka broker exited during start-up; the end of "
                                  f"{self.layout.log_file}:\n{log_tail(self.layout.log_file)}")
            if time.monotonic() > deadline:
                raise BrokerError(f"the Kafka broker did not answer at {self.layout.bootstrap} within "
                                  f"{timeout_s:.0f}s; the end of its log:\n{log_tail(self.layout.log_file)}")
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
