"""A local KRaft cluster of N combined broker+controller nodes (`govx kafka up --brokers 3`).

Each node is a `LocalBroker` with its own ports, storage, log and pid file under
`<data dir>/kafka/node-N` (see `broker_layout`); all share one cluster id. The node count is
written to `<data dir>/kafka/cluster.json` by `up`, so `status`, `down` and the per-node
commands (`stop`, `kill`, `start`, `pause`, `resume` with `--node N`) find every node without
being told. With one node this is the single broker of before, in `<data dir>/kafka`.
"""

from __future__ import annotations

import json
import shutil
import signal
from dataclasses import dataclass
from pathlib import Path

from exchange.errors import BrokerError
from exchange.kafka import admin
from exchange.kafka.broker import LocalBroker, Ping
from exchange.kafka.broker_layout import BrokerLayout, BrokerStatus, cluster_id


@dataclass(frozen=True)
class ClusterStatus:
    """Every node's status."""

    nodes: tuple[BrokerStatus, ...]
    bootstrap: str

    @property
    def running(self) -> int:
        return sum(1 for node in self.nodes if node.running)

    def describe(self) -> str:
        if len(self.nodes) == 1:
            return self.nodes[0].describe()
        lines = [f"{self.running} of {len(self.nodes)} nodes running; bootstrap {self.bootstrap}"]
        lines += [f"  node {i}: {node.describe()}" for i, node in enumerate(self.nodes, 1)]
        return "\n".join(lines)


class LocalCluster:
    """Starts, checks and stops the nodes of a local cluster, together or one at a time."""

    def __init__(self, layout: BrokerLayout, *, ping: Ping = admin.ping) -> None:
        self.base = layout.node(1, 1)
        self._ping = ping

    @property
    def size(self) -> int:
        """The node count `up` recorded (1 when nothing was recorded)."""
        try:
            return int(json.loads((self.base.root / "cluster.json").read_text(encoding="utf-8"))["brokers"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return 1

    def node(self, node_id: int, nodes: int | None = None) -> LocalBroker:
        return LocalBroker(self.base.node(node_id, nodes or self.size), ping=self._ping)

    def nodes(self, count: int | None = None) -> list[LocalBroker]:
        count = count or self.size
        return [self.node(i, count) for i in range(1, count + 1)]

    @property
    def bootstrap(self) -> str:
        return self.base.node(1, self.size).cluster_bootstrap

    def status(self) -> ClusterStatus:
        return ClusterStatus(tuple(node.status() for node in self.nodes()), self.bootstrap)

    def up(self, brokers: int, timeout_s: float = 180.0) -> ClusterStatus:
        """Start `brokers` nodes (all of them before waiting: the quorum needs a majority) and wait."""
        if brokers < 1:
            raise BrokerError(f"--brokers {brokers}: a cluster needs at least one node")
        running = self.status()
        if running.running and self.size != brokers:
            raise BrokerError(f"a local cluster of {self.size} node(s) is running; `govx kafka down` first")
        self.base.root.mkdir(parents=True, exist_ok=True)
        if self.size != brokers or not (self.base.root / "cluster.json").exists():
            (self.base.root / "cluster.json").write_text(json.dumps({"brokers": brokers, "id": cluster_id()}))
        nodes = self.nodes(brokers)
        for node in nodes:
            node.up(timeout_s, wait=False, cluster=self._cluster_id())
        for node in nodes:
            node.wait_ready(timeout_s)
        return self.status()

    def _cluster_id(self) -> str:
        """The id every node's storage is formatted with (kept in cluster.json)."""
        try:
            return str(json.loads((self.base.root / "cluster.json").read_text(encoding="utf-8"))["id"])
        except (FileNotFoundError, ValueError, KeyError, TypeError):
            return cluster_id()

    def down(self, timeout_s: float = 60.0) -> int:
        """Stop every node — all asked at once, so none waits for a quorum the others took away; how many ran."""
        stopping = [(node, pid) for node in self.nodes() if (pid := node.terminate()) is not None]
        for node, pid in stopping:
            node.wait_stopped(pid, timeout_s)
        return len(stopping)

    def wipe(self) -> Path:
        """Delete every node's storage, logs and settings (the next `up` formats new ones); only once all are down."""
        if self.status().running:
            raise BrokerError("the broker still runs: `govx kafka down` first")
        shutil.rmtree(self.base.root, ignore_errors=True)
        return self.base.root

    def start(self, node_id: int, timeout_s: float = 120.0, *, wait: bool = True) -> BrokerStatus:
        """Start one node (after `stop` or `kill`) and wait until it answers (unless `wait=False`)."""
        node = self.node(node_id)
        node.up(timeout_s, wait=False, cluster=self._cluster_id())
        if wait:
            node.wait_ready(timeout_s)
        return node.status()

    def stop(self, node_id: int) -> bool:
        """Stop one node gracefully (SIGTERM: it hands its leaderships over first)."""
        return self.node(node_id).down()

    def kill(self, node_id: int) -> bool:
        """SIGKILL one node: a crash, with no hand-over."""
        return self.node(node_id).signal(signal.SIGKILL)

    def pause(self, node_id: int) -> bool:
        """SIGSTOP one node: it hangs without closing its connections."""
        return self.node(node_id).signal(signal.SIGSTOP)

    def resume(self, node_id: int) -> bool:
        return self.node(node_id).signal(signal.SIGCONT)
