"""`govx kafka up|status|down` on a broker of its own (own port and storage), and its errors."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from exchange.errors import BrokerError
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.runtime.settings import Settings
from govx.cli import main

pytestmark = pytest.mark.integration


def free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for s in sockets:
            s.bind(("127.0.0.1", 0))
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


@pytest.fixture
def own_broker(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, settings: Settings) -> Iterator[BrokerLayout]:
    """Settings for a second broker: free ports, storage in tmp_path, the shared jar cache."""
    port, controller = free_ports(2)
    for key in [k for k in os.environ if k.upper().startswith("GOVX_")]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("GOVX_KAFKA_PORT", str(port))
    monkeypatch.setenv("GOVX_KAFKA_CONTROLLER_PORT", str(controller))
    monkeypatch.setenv("GOVX_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("GOVX_CACHE_DIR", str(settings.cache_dir))
    layout = BrokerLayout(settings.cache_dir, tmp_path, port=port, controller_port=controller)
    yield layout
    LocalBroker(layout).down()


def _pid_alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists() and "Z" not in Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1][:3]


def test_up_status_down_lifecycle(own_broker: BrokerLayout, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["kafka", "status"]) == 1
    assert "is not running" in capsys.readouterr().out
    assert main(["kafka", "up"]) == 0
    assert f"running at 127.0.0.1:{own_broker.port}" in capsys.readouterr().out
    pid = int(own_broker.pid_file.read_text())
    assert main(["kafka", "up"]) == 0
    assert "already running" in capsys.readouterr().out
    assert main(["kafka", "status"]) == 0
    assert f"(pid {pid}" in capsys.readouterr().out
    assert main(["kafka", "down"]) == 0
    assert "stopped" in capsys.readouterr().out
    assert not _pid_alive(pid)
    assert main(["kafka", "down"]) == 0
    assert "was not running" in capsys.readouterr().out
    assert main(["kafka", "status"]) == 1


def test_a_taken_port_is_refused_with_a_clear_error(own_broker: BrokerLayout,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", own_broker.port))
        squatter.listen()
        assert main(["kafka", "up"]) == 2
    assert f"port {own_broker.port} on 127.0.0.1 is taken" in capsys.readouterr().err


def test_a_missing_java_is_named(own_broker: BrokerLayout) -> None:
    broker = LocalBroker(BrokerLayout(own_broker.cache_dir, own_broker.data_dir, port=own_broker.port,
                                      controller_port=own_broker.controller_port, java="java-that-is-not-here"))
    with pytest.raises(BrokerError, match="'java-that-is-not-here' was not found on PATH. Java 17"):
        broker.up()


def test_a_broker_that_fails_to_start_shows_the_end_of_its_log(own_broker: BrokerLayout) -> None:
    own_broker.storage.mkdir(parents=True)
    (own_broker.storage / "meta.properties").write_text("version=1\ncluster.id=AAAAAAAAAAAAAAAAAAAAAA\nnode.id=7\n")
    with pytest.raises(BrokerError, match="exited during start-up") as caught:
        LocalBroker(own_broker).up(timeout_s=90)
    assert "node.id" in str(caught.value) or "node id" in str(caught.value)
    assert str(own_broker.log_file) in str(caught.value)
    assert LocalBroker(own_broker).status().running is False


def test_a_heap_too_small_for_the_jvm_fails_before_the_broker_starts(own_broker: BrokerLayout) -> None:
    tiny = BrokerLayout(own_broker.cache_dir, own_broker.data_dir, port=own_broker.port,
                        controller_port=own_broker.controller_port, heap="1m")
    with pytest.raises(BrokerError, match="formatting Kafka storage failed") as caught:
        LocalBroker(tiny).up(timeout_s=60)
    assert "heap" in str(caught.value).lower()
