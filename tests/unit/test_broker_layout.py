"""The local broker's layout: one node as before; a cluster's nodes on their own ports and folders, every
topic (internal ones too) at replication 3 with min.insync.replicas 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from exchange.errors import BrokerError
from exchange.kafka.broker_layout import BrokerLayout, server_properties
from exchange.kafka.cluster import LocalCluster


def properties(layout: BrokerLayout) -> dict[str, str]:
    return dict(line.split("=", 1) for line in server_properties(layout).splitlines() if line)


def test_a_single_node_keeps_its_folder_and_replication_one(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path / "cache", tmp_path, port=25092, controller_port=25093)
    config = properties(layout)
    assert layout.home == (tmp_path / "kafka").resolve()
    assert config["controller.quorum.voters"] == "1@127.0.0.1:25093"
    assert config["listeners"] == "PLAINTEXT://127.0.0.1:25092,CONTROLLER://127.0.0.1:25093"
    assert config["advertised.listeners"] == "PLAINTEXT://127.0.0.1:25092"
    for key in ("offsets.topic.replication.factor", "transaction.state.log.replication.factor",
                "default.replication.factor", "min.insync.replicas", "transaction.state.log.min.isr"):
        assert config[key] == "1", key


def test_each_node_of_a_cluster_has_its_ports_folder_and_every_voter(tmp_path: Path) -> None:
    base = BrokerLayout(tmp_path / "cache", tmp_path, port=25010, controller_port=25011)
    second = base.node(2, 3)
    config = properties(second)
    assert (second.port, second.controller_port, second.node_id) == (25012, 25013, 2)
    assert second.home == (tmp_path / "kafka" / "node-2").resolve()
    assert config["node.id"] == "2"
    assert config["controller.quorum.voters"] == "1@127.0.0.1:25011,2@127.0.0.1:25013,3@127.0.0.1:25015"
    assert config["listeners"] == "PLAINTEXT://127.0.0.1:25012,CONTROLLER://127.0.0.1:25013"
    assert second.cluster_bootstrap == "127.0.0.1:25010,127.0.0.1:25012,127.0.0.1:25014"
    assert second.node(3, 3).port == 25014  # from any node, the same cluster


def test_a_cluster_replicates_every_topic_internal_ones_too(tmp_path: Path) -> None:
    config = properties(BrokerLayout(tmp_path, tmp_path).node(1, 3))
    for key in ("default.replication.factor", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor", "share.coordinator.state.topic.replication.factor"):
        assert config[key] == "3", key
    for key in ("min.insync.replicas", "transaction.state.log.min.isr", "share.coordinator.state.topic.min.isr"):
        assert config[key] == "2", key


def test_a_node_outside_the_cluster_is_refused(tmp_path: Path) -> None:
    with pytest.raises(BrokerError, match="there is no node 4: the cluster has nodes 1 to 3"):
        BrokerLayout(tmp_path, tmp_path).node(4, 3)


def test_wiping_a_stopped_broker_deletes_its_storage_and_only_its_own(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path / "cache", tmp_path / "data", port=25092, controller_port=25093)
    (layout.storage / "meta").mkdir(parents=True)
    (layout.storage / "meta" / "meta.properties").write_text("cluster.id=x\n", encoding="utf-8")
    (tmp_path / "data" / "secrets.json").write_text("{}", encoding="utf-8")  # beside the broker: kept
    assert LocalCluster(layout).wipe() == layout.root
    assert not layout.root.exists() and (tmp_path / "data" / "secrets.json").exists()


def test_a_running_broker_is_not_wiped(tmp_path: Path) -> None:
    layout = BrokerLayout(tmp_path / "cache", tmp_path / "data", port=25092, controller_port=25093)
    layout.home.mkdir(parents=True)
    # a process whose command line names the broker's config file, as a running broker's does
    stand_in = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()", str(layout.config_file)],
                                stdin=subprocess.PIPE)
    try:
        layout.pid_file.write_text(str(stand_in.pid), encoding="utf-8")
        with pytest.raises(BrokerError, match="still runs"):
            LocalCluster(layout).wipe()
    finally:
        stand_in.communicate(b"")
    assert layout.home.exists()
