"""`govx id check VALUE`: validate a citizen ID, unified social credit code or division code."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from exchange.core import identifiers
from exchange.core.identifiers import IdKind

app = typer.Typer(
    help="Validate citizen IDs (GB 11643), unified social credit codes (GB 32100) and division codes.",
    no_args_is_help=True,
)
console = Console()


@app.command()
def check(
    value: Annotated[str, typer.Argument(help="the identifier to check")],
    kind: Annotated[IdKind | None, typer.Option(help="the identifier's kind; guessed when omitted")] = None,
) -> int:
    """Say whether VALUE is valid and why not; exit status 0 when valid, 1 when invalid."""
    verdict = identifiers.check(value, kind)
    guessed = " (guessed)" if kind is None else ""
    status = "[green]valid[/]" if verdict.valid else "[bold red]invalid[/]"
    console.print(f"kind: {verdict.kind.value}{guessed}", highlight=False, soft_wrap=True)
    console.print(f"value: {escape(verdict.value)}", highlight=False, soft_wrap=True)
    console.print(f"verdict: {status}", highlight=False, soft_wrap=True)
    console.print(f"reason: {verdict.reason} — {escape(verdict.detail)}", highlight=False, soft_wrap=True)
    return 0 if verdict.valid else 1
