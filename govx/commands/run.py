"""`govx run`: the main job — a scenario on a real broker, a verified report, and (when the scenario
or `--baseline` names one) the comparison with a baseline run."""

from __future__ import annotations

import time
from pathlib import Path

import typer
from rich.console import Console

from exchange.core.catalogue import load_catalogue
from exchange.kafka.admin import ping
from exchange.kafka.broker import BrokerLayout, LocalBroker
from exchange.runtime.settings import Settings, load_settings
from govx.commands.report import judge
from loadtest.compare import Thresholds
from loadtest.orchestrate import Run, RunOptions
from loadtest.output import summary_lines
from loadtest.scenario import Scenario, load_scenario

console = Console()


def _broker(settings: Settings) -> str:
    """The configured cluster; else a broker already answering at the local address; else the local
    broker, started here."""
    if settings.bootstrap_servers or ping(settings.bootstrap, 2.0) is not None:
        return settings.bootstrap
    broker = LocalBroker(BrokerLayout.from_settings(settings))
    if not broker.status().running:
        with console.status(f"starting the local Kafka {broker.version} broker"):
            broker.up()
    return settings.bootstrap


def run(
    scenario: str = typer.Option("smoke", help="a shipped scenario (smoke, city, province, peak) or a TOML file"),
    duration: float | None = typer.Option(None, min=1.0, help="override the scenario's duration (seconds)"),
    report: Path | None = typer.Option(None, help="report folder (default: reports/<run id>)"),
    keep_topics: bool = typer.Option(False, help="keep the run's topics on the broker afterwards"),
    live: bool = typer.Option(True, help="show the live progress table"),
    baseline: Path | None = typer.Option(None, help="compare with this earlier run's report folder (default: the "
                                                    "scenario's `baseline`, if any)"),
    junit: Path | None = typer.Option(None, help="write the baseline comparison's verdict as JUnit XML here"),
) -> int:
    """Run a load scenario: producers, exchange workers and receivers as separate processes on a
    real broker, then a verified report (report.json, summary.txt, chart.html).

    Exits non-zero when any delivery was lost, duplicated, unexpected or beyond its grant, or a
    deliberately bad event was not dead-lettered for its reason — or, with a baseline, when the
    run regressed against it beyond the thresholds (`govx report compare`).
    """
    settings = load_settings()
    catalogue = load_catalogue()
    chosen = load_scenario(scenario, catalogue)
    if duration is not None:
        chosen = chosen.with_duration(duration)
    run_id = f"run-{chosen.name}-{time.strftime('%Y%m%d-%H%M%S')}"[:41]
    folder = report or Path("reports") / run_id
    options = RunOptions(chosen, folder, _broker(settings), run_id, keep_topics=keep_topics, live=live)
    console.print(f"[bold]{chosen.name}[/]: {chosen.headline}  →  {folder}", highlight=False, soft_wrap=True)
    result = Run(options, catalogue, console).execute()
    console.print()
    console.print("\n".join(summary_lines(result)), highlight=False, soft_wrap=True)
    console.print(f"report: {folder / 'report.json'}   chart: {folder / 'chart.html'}")
    status = 0 if result.ok else 1
    against = baseline or (Path(chosen.baseline) if chosen.baseline else None)
    if against is not None:
        console.print(f"\n[bold]compared with the baseline[/] {against}")
        status = max(status, judge(against, folder, _thresholds(chosen), junit))
    return status


def _thresholds(scenario: Scenario) -> Thresholds:
    """The scenario's `[thresholds]`, the defaults for the rest."""
    return Thresholds(**{**Thresholds().__dict__, **scenario.thresholds})
