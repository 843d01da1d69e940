"""`govx run` and `govx report`: the main job, and re-checking a finished run."""

from __future__ import annotations

import json
import time
from pathlib import Path

import typer
from rich.console import Console

from exchange.core.catalogue import load_catalogue
from exchange.kafka.admin import ping
from exchange.kafka.broker import BrokerLayout
from exchange.kafka.cluster import LocalCluster
from exchange.runtime.settings import Settings, load_settings
from loadtest.folder import report_from_folder
from loadtest.orchestrate import Run, RunOptions
from loadtest.output import summary_lines, write_report
from loadtest.scenario import load_scenario

console = Console()


def _broker(settings: Settings) -> tuple[str, LocalCluster | None]:
    """The configured cluster; else the local broker or cluster govx manages (started here if need be);
    else a broker already answering at the local address. The local cluster comes along when it is the
    one in use, so a scenario can inject broker faults."""
    cluster = LocalCluster(BrokerLayout.from_settings(settings))
    local = cluster.status()
    if settings.bootstrap_servers:
        return settings.bootstrap, cluster if local.running and settings.bootstrap == cluster.bootstrap else None
    if local.running:
        return cluster.bootstrap, cluster
    if ping(settings.bootstrap, 2.0) is not None:
        return settings.bootstrap, None
    with console.status(f"starting the local Kafka broker ({cluster.size} node(s))"):
        cluster.up(cluster.size)
    return cluster.bootstrap, cluster


def run(
    scenario: str = typer.Option("smoke", help="a shipped scenario (smoke, city, province, peak) or a TOML file"),
    duration: float | None = typer.Option(None, min=1.0, help="override the scenario's duration (seconds)"),
    report: Path | None = typer.Option(None, help="report folder (default: reports/<run id>)"),
    keep_topics: bool = typer.Option(False, help="keep the run's topics on the broker afterwards"),
    live: bool = typer.Option(True, help="show the live progress table"),
) -> int:
    """Run a load scenario: producers, exchange workers and receivers as separate processes on a
    real broker, then a verified report (report.json, summary.txt, chart.html).

    Exits non-zero when any delivery was lost, duplicated, unexpected or beyond its grant, or a
    deliberately bad event was not dead-lettered for its reason.
    """
    settings = load_settings()
    catalogue = load_catalogue()
    chosen = load_scenario(scenario, catalogue)
    if duration is not None:
        chosen = chosen.with_duration(duration)
    run_id = f"run-{chosen.name}-{time.strftime('%Y%m%d-%H%M%S')}"[:41]
    folder = report or Path("reports") / run_id
    bootstrap, cluster = _broker(settings)
    options = RunOptions(chosen, folder, bootstrap, run_id, keep_topics=keep_topics, live=live, cluster=cluster)
    console.print(f"[bold]{chosen.name}[/]: {chosen.description}  →  {folder}")
    result = Run(options, catalogue, console).execute()
    console.print()
    console.print("\n".join(summary_lines(result)), highlight=False)
    console.print(f"report: {folder / 'report.json'}   chart: {folder / 'chart.html'}")
    return 0 if result.ok else 1


def report(folder: Path = typer.Argument(..., exists=True, file_okay=False, help="a run's report folder")) -> int:
    """Rebuild a run's report from the ledgers it left, and exit non-zero if anything was lost or
    duplicated (e.g. after editing a ledger to prove the accounting catches it)."""
    previous = folder / "report.json"
    name = str(json.loads(previous.read_text(encoding="utf-8")).get("scenario", folder.name)) \
        if previous.exists() else folder.name
    rebuilt = report_from_folder(folder, name)
    write_report(rebuilt, folder)
    console.print("\n".join(summary_lines(rebuilt)), highlight=False)
    return 0 if rebuilt.ok else 1
