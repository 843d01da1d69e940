"""The `govx` command line. `main(argv)` returns the exit status, so tests call it directly."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import typer
from rich.console import Console

from exchange.errors import GovxError
from govx.commands import (
    api,
    bench,
    check,
    consume,
    directory,
    exchange_worker,
    ids,
    inbox,
    kafka,
    produce,
    registry,
    report,
    run,
    sample,
)


def _exit_with_result(result: object, **_: object) -> None:
    """Commands return their exit status; a non-zero one ends the process with it."""
    if isinstance(result, int) and result:
        raise typer.Exit(result)


app = typer.Typer(
    name="govx",
    help="Simulate the province–city–county government data-sharing exchange on Apache Kafka.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
    result_callback=_exit_with_result,
)
app.add_typer(kafka.app, name="kafka")
app.add_typer(ids.app, name="id")
app.add_typer(directory.app, name="directory")
app.add_typer(bench.app, name="bench")
app.command(name="exchange")(exchange_worker.exchange)
app.command(name="produce")(produce.produce)
app.command(name="consume")(consume.consume)
app.command(name="run")(run.run)
app.add_typer(report.app, name="report")
app.command(name="api")(api.api)
app.command(name="api-keys")(api.api_keys)
app.command(name="registry")(registry.registry)
app.command(name="sample")(sample.sample)
app.command(name="check")(check.check)
app.command(name="inbox")(inbox.inbox)

_errors = Console(stderr=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Run `govx` with `argv` (default: the process arguments) and return its exit status."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        command.main(args=args, prog_name="govx", standalone_mode=True)
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except GovxError as exc:
        _errors.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return exc.exit_code
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
