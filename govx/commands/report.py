"""`govx report DIR` (re-check a finished run) and `govx report compare BASE NEW` (the release gate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer
import typer.core
from rich.console import Console

from loadtest.compare import Thresholds, compare, load_report
from loadtest.compare_output import junit, lines
from loadtest.folder import report_from_folder
from loadtest.output import summary_lines, write_report

console = Console()


class _ShowByDefault(typer.core.TyperGroup):
    """`govx report DIR` is `govx report show DIR`: a first argument that names no subcommand is a folder."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().parse_args(ctx, args)


app = typer.Typer(cls=_ShowByDefault, no_args_is_help=True,
                  help="Re-check a run's report (`govx report DIR`), or compare two runs (`govx report compare`).")


@app.command()
def show(folder: Path = typer.Argument(..., exists=True, file_okay=False, help="a run's report folder")) -> int:
    """Rebuild a run's report from the ledgers it left, and exit non-zero if anything was lost or
    duplicated (e.g. after editing a ledger to prove the accounting catches it)."""
    previous = folder / "report.json"
    name = str(json.loads(previous.read_text(encoding="utf-8")).get("scenario", folder.name)) \
        if previous.exists() else folder.name
    rebuilt = report_from_folder(folder, name)
    write_report(rebuilt, folder)
    console.print("\n".join(summary_lines(rebuilt)), highlight=False, soft_wrap=True)
    return 0 if rebuilt.ok else 1


DEFAULTS = Thresholds()


@app.command(name="compare")
def compare_runs(
    base: Path = typer.Argument(..., exists=True, help="the baseline run's report folder (or its report.json)"),
    new: Path = typer.Argument(..., exists=True, help="the run to judge"),
    max_p99_regression: float = typer.Option(DEFAULTS.max_p99_regression, min=0.0,
                                             help="largest allowed growth of e2e p99 latency, a share (0.5 = +50 %)"),
    min_p99_change_ms: float = typer.Option(DEFAULTS.min_p99_change_ms, min=0.0,
                                            help="p99 growth below this many ms is noise, never a regression"),
    max_throughput_drop: float = typer.Option(DEFAULTS.max_throughput_drop, min=0.0, max=1.0,
                                              help="largest allowed drop of events/s or deliveries/s, as a share"),
    junit_file: Path | None = typer.Option(None, "--junit", help="also write the verdict as JUnit XML here"),
) -> int:
    """Both runs side by side with the relative change of every figure, and a verdict: exit 1 when
    NEW lost or duplicated anything, or regressed beyond the thresholds."""
    thresholds = Thresholds(max_p99_regression, max_throughput_drop, min_p99_change_ms)
    return judge(base, new, thresholds, junit_file)


def judge(base: Path, new: Path, thresholds: Thresholds, junit_file: Path | None = None,
          new_report: dict[str, Any] | None = None) -> int:
    """Compare, print, optionally write JUnit XML; 0 when NEW is within the thresholds, else 1."""
    result = compare(load_report(base), new_report or load_report(new), thresholds, base_name=str(base),
                     new_name=str(new))
    console.print("\n".join(lines(result, thresholds)), highlight=False, soft_wrap=True)
    if junit_file is not None:
        junit_file.parent.mkdir(parents=True, exist_ok=True)
        junit_file.write_text(junit(result), encoding="utf-8")
    return 0 if result.ok else 1
