"""`govx kafka up|down|status|stop|kill|start|pause|resume`: the local broker or local cluster."""

from __future__ import annotations

from dataclasses import replace

import typer
from rich.console import Console

from exchange.errors import ConfigError
from exchange.kafka.broker import BrokerLayout
from exchange.kafka.cluster import LocalCluster
from exchange.runtime.settings import load_settings

app = typer.Typer(help="Manage the local Kafka broker or cluster (KRaft).", no_args_is_help=True)
console = Console()
NODE = typer.Option(..., "--node", min=1, help="node id (1..N), as `govx kafka status` lists them")


SECURE = typer.Option(False, "--secure", help="the SASL/SCRAM broker with ACLs (also: GOVX_SECURITY=sasl)")


def _cluster(secure: bool = False) -> LocalCluster:
    layout = BrokerLayout.from_settings(load_settings())
    return LocalCluster(replace(layout, secure=True) if secure else layout)


@app.command()
def up(timeout: float = typer.Option(180.0, help="seconds to wait for the nodes to answer"),
       brokers: int | None = typer.Option(None, min=1, max=9, help="nodes: 1 (default) or e.g. 3, a cluster with "
                                          "replication 3 and min.insync.replicas 2; default: as last time"),
       secure: bool = SECURE) -> int:
    """Install (first time), start and wait for the broker or every node. Harmless when they run.

    --secure starts a single broker with a SASL/SCRAM-SHA-512 listener, the StandardAuthorizer and no
    access without an ACL; then `govx principals provision` creates the departments' principals."""
    cluster = _cluster(secure)
    count = brokers or cluster.size
    if cluster.base.secure and count > 1:
        raise ConfigError("--secure starts a single broker; a secure local cluster is not supported")
    was_running = cluster.status().running == count
    version = cluster.node(1, count).version
    with console.status(f"starting Kafka {version}: {count} node(s) from {cluster.base.bootstrap}"):
        status = cluster.up(count, timeout_s=timeout)
    console.print(("already running: " if was_running else "started: ") + status.describe())
    if count > 1:
        console.print(f"clients of the whole cluster: GOVX_BOOTSTRAP_SERVERS={status.bootstrap}")
    return 0


@app.command()
def down(secure: bool = SECURE,
         wipe: bool = typer.Option(False, "--wipe", help="then delete its storage: the next `up` starts empty")) -> int:
    """Stop the broker, or every node of the cluster. Safe to call when nothing runs."""
    cluster = _cluster(secure)
    stopped = cluster.down()
    console.print(f"stopped {stopped} node(s)" if stopped else "the broker was not running")
    if wipe:
        console.print(f"deleted {cluster.wipe()}")
    return 0


@app.command()
def status(secure: bool = SECURE) -> int:
    """Say whether the broker (every node) runs and where; exit status 0 when all run, 1 when not."""
    current = _cluster(secure).status()
    console.print(current.describe())
    return 0 if current.running == len(current.nodes) else 1


@app.command()
def stop(node: int = NODE) -> int:
    """Stop one node gracefully (SIGTERM): it hands its partition leaderships over first."""
    done = _cluster().stop(node)
    console.print(f"stopped node {node}" if done else f"node {node} was not running")
    return 0


@app.command()
def kill(node: int = NODE) -> int:
    """SIGKILL one node: a crash, without hand-over (`start --node` brings it back)."""
    done = _cluster().kill(node)
    console.print(f"killed node {node}" if done else f"node {node} was not running")
    return 0


@app.command()
def start(node: int = NODE, timeout: float = typer.Option(120.0, help="seconds to wait for it")) -> int:
    """Start one node again, after `stop` or `kill`, and wait until it answers."""
    console.print("started: " + _cluster().start(node, timeout_s=timeout).describe())
    return 0


@app.command()
def pause(node: int = NODE) -> int:
    """SIGSTOP one node: it hangs with its connections open, as a frozen machine would."""
    done = _cluster().pause(node)
    console.print(f"paused node {node}" if done else f"node {node} was not running")
    return 0


@app.command()
def resume(node: int = NODE) -> int:
    """SIGCONT a paused node."""
    done = _cluster().resume(node)
    console.print(f"resumed node {node}" if done else f"node {node} was not running")
    return 0
