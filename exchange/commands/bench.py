"""`govx bench core`: the exchange core against the raw fastavro decode of the same events."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from exchange.runner.corebench import measure

app = typer.Typer(help="Benchmarks (docs/benchmarks.md records their results).", no_args_is_help=True)
console = Console()


@app.command()
def core(
    events: int = typer.Option(5000, min=100, help="events in the standard mix"),
    repeat: int = typer.Option(7, min=1, help="timed runs; the fastest counts"),
    seed: int = typer.Option(1, help="seed of the mix"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> int:
    """Measure the exchange core on the standard mix, and the raw fastavro decode of the same
    events in the same process; print both rates, their ratio and the mix."""
    result = measure(events, repeat, seed)
    if as_json:
        print(json.dumps({**result.__dict__, "ratio": result.ratio}))
        return 0
    console.print(f"standard mix: {result.events} events, {result.deliveries_per_event:.2f} deliveries per event, "
                  f"{', '.join(f'{k} {v}' for k, v in result.mix.items())}")
    console.print(f"raw fastavro decode   {result.raw_decode_events_per_s:>10,.0f} events/s")
    console.print(f"exchange core         {result.core_events_per_s:>10,.0f} events/s")
    console.print(f"ratio core / decode   {result.ratio:>10.2f}   (target ≥ 0.80)")
    return 0
