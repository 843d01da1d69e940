"""`govx id check VALUE` validates a citizen ID, credit code or division code; `govx id make` makes them."""

from __future__ import annotations

import random
from datetime import date
from enum import StrEnum
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from exchange.core import identifiers, regions
from exchange.core.civil_time import today_in_china
from exchange.core.identifiers import IdKind
from exchange.errors import ConfigError

app = typer.Typer(
    help="Validate and make citizen IDs (GB 11643), unified social credit codes (GB 32100) and division codes.",
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


class MakeKind(StrEnum):
    """What `govx id make` generates."""

    CITIZEN = "citizen"
    USCC = "uscc"


class Sex(StrEnum):
    MALE = "male"
    FEMALE = "female"


@app.command()
def make(
    kind: Annotated[MakeKind, typer.Argument(help="citizen (GB 11643 ID) or uscc (GB 32100 credit code)")],
    region: Annotated[str | None, typer.Option(help="division code (default: a random county of Guangdong)")] = None,
    born: Annotated[str | None, typer.Option(help="birth date YYYY-MM-DD, 1880-01-01 to today (citizen)")] = None,
    sex: Annotated[Sex | None, typer.Option(help="male or female (citizen; default random)")] = None,
    authority: Annotated[str, typer.Option(help="registering authority code (uscc), 9 = 市场监管")] = "9",
    org_type: Annotated[str, typer.Option(help="organisation type code (uscc), 1 = enterprise")] = "1",
    count: Annotated[int, typer.Option(min=1, max=10000, help="how many to print")] = 1,
    seed: Annotated[int | None, typer.Option(help="seed, to repeat the same identifiers")] = None,
) -> int:
    """Print valid identifiers (correct check characters), one per line, for test data."""
    rng = random.Random(seed)  # noqa: S311 - test data, not secrets
    for _ in range(count):
        code = region or rng.choice(_COUNTIES)
        try:
            value = _citizen(rng, code, born, sex) if kind is MakeKind.CITIZEN else \
                identifiers.random_uscc(rng, code, authority=authority, org_type=org_type)
        except ValueError as exc:
            raise ConfigError(f"cannot make a {kind.value}: {exc}") from exc
        typer.echo(value)
    return 0


_COUNTIES = tuple(d.code for d in regions.nodes([regions.Level.COUNTY]))


def _citizen(rng: random.Random, region: str, born: str | None, sex: Sex | None) -> str:
    female = None if sex is None else sex is Sex.FEMALE
    if born is None:
        return identifiers.random_citizen_id(rng, region, born_from=date(1930, 1, 1), born_to=today_in_china(),
                                             female=female)
    try:
        birth = date.fromisoformat(born)
    except ValueError:
        raise ValueError(f"--born {born!r} is not a date YYYY-MM-DD") from None
    return identifiers.random_citizen_id(rng, region, born_from=birth, born_to=birth, female=female)
