"""`govx kafka up|down|status`: the local broker."""

from __future__ import annotations

from dataclasses import replace

import typer
from rich.console import Console

from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.runtime.settings import load_settings

app = typer.Typer(help="Manage the local single-node Kafka broker (KRaft).", no_args_is_help=True)
console = Console()


SECURE = typer.Option(False, "--secure", help="the SASL/SCRAM broker with ACLs (also: GOVX_SECURITY=sasl)")


def _broker(secure: bool = False) -> LocalBroker:
    layout = BrokerLayout.from_settings(load_settings())
    return LocalBroker(replace(layout, secure=True) if secure else layout)


@app.command()
def up(timeout: float = typer.Option(120.0, help="seconds to wait for the broker to answer"),
       secure: bool = SECURE) -> int:
    """Install (first time), start and wait for the broker. Harmless when it already runs.

    --secure starts it with a SASL/SCRAM-SHA-512 listener, the StandardAuthorizer and no access
    without an ACL; then `govx principals provision` creates the departments' principals."""
    broker = _broker(secure)
    was_running = broker.status().running
    with console.status(f"starting Kafka {broker.version} at {broker.layout.bootstrap}"):
        status = broker.up(timeout_s=timeout)
    console.print(("already running: " if was_running else "started: ") + status.describe())
    return 0


@app.command()
def down(secure: bool = SECURE) -> int:
    """Stop the broker by its pid. Safe to call when it is not running."""
    broker = _broker(secure)
    stopped = broker.down()
    console.print("stopped the broker" if stopped else "the broker was not running")
    return 0


@app.command()
def status(secure: bool = SECURE) -> int:
    """Say whether the broker runs and where; exit status 0 when it runs, 1 when not."""
    current = _broker(secure).status()
    console.print(current.describe())
    return 0 if current.running else 1
