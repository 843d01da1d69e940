"""`govx bench core`: the exchange core against the raw fastavro decode of the same events."""

from __future__ import annotations

import json

import typer
from rich.console import Console

from loadtest.corebench import measure, stages

app = typer.Typer(help="Benchmarks (docs/benchmarks.md records their results).", no_args_is_help=True)
console = Console()


@app.command()
def core(
    events: int = typer.Option(5000, min=100, help="events in the standard mix"),
    repeat: int = typer.Option(7, min=1, help="timed runs; the fastest counts"),
    seed: int = typer.Option(1, help="seed of the mix"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
    show_stages: bool = typer.Option(False, "--stages", help="also time each stage of the core alone"),
) -> int:
    """Measure the exchange core on the standard mix, and the raw fastavro decode of the same
    events in the same process; print both rates, their ratio and the mix."""
    result = measure(events, repeat, seed)
    if show_stages:
        for name, micros in stages(events, repeat, seed).items():
            console.print(f"{name:<36} {micros:6.2f} µs per valid event")
    if as_json:
        print(json.dumps({**result.__dict__, "ratio": result.ratio}))
        return 0
    console.print(f"standard mix: {result.events} events, {result.deliveries_per_event:.2f} deliveries per event, "
                  f"{', '.join(f'{k} {v}' for k, v in result.mix.items())}")
    console.print(f"raw fastavro decode   {result.raw_decode_events_per_s:>10,.0f} events/s")
    console.print(f"exchange core         {result.core_events_per_s:>10,.0f} events/s")
    console.print(f"ratio core / decode   {result.ratio:>10.2f}   (target ≥ 0.80)")
    return 0


@app.command()
def exchange(
    events: int = typer.Option(20_000, min=1000, help="events written to the source topics"),
    partitions: int = typer.Option(3, min=1, help="partitions of each source topic"),
    workers: str = typer.Option("1,2", help="worker counts to run, comma-separated"),
    clients: str = typer.Option("kafka-python,confluent", help="clients to run govx's workers on"),
    rounds: int = typer.Option(1, min=1, help="rounds of every drain; the reference router runs last in odd rounds"),
    transaction_events: str = typer.Option("5000", help="worker transaction sizes to run (GOVX_TRANSACTION_EVENTS)"),
    as_json: bool = typer.Option(False, "--json", help="print the result as JSON"),
) -> int:
    """Drain the same topics with the references (bare copies, the hand-written confluent-kafka router on
    the same core) and govx's workers, in one run; print each rate and its ratio to the reference router
    (docs/benchmarks.md §3)."""
    from exchange.runtime.settings import load_settings
    from loadtest.drainbench import REFERENCE, measure_drain

    counts = tuple(int(n) for n in workers.split(","))
    chosen = tuple(c.strip() for c in clients.split(","))
    shown = None if as_json else (lambda name, rate: console.print(f"{name:<40} {rate:>9,.0f} events/s"))
    result = measure_drain(load_settings().bootstrap, events, partitions, workers=counts, clients=chosen,
                           rounds=rounds, sizes=tuple(int(n) for n in transaction_events.split(",")), progress=shown)
    if as_json:
        print(json.dumps({"events": result.events, "rates": result.rates, "rounds": result.rounds,
                          "ratios": {name: result.ratio(name) for name in result.rates},
                          "round_ratios": {name: result.ratios(name) for name in result.rates}}))
        return 0
    console.print(f"{result.events} events of the standard mix, {rounds} round(s); ratios to the {REFERENCE} "
                  "of the same round, their median first:")
    for name in result.rates:
        each = " ".join(f"{r:.2f}" for r in result.ratios(name))
        console.print(f"{name:<40} {result.ratio(name):>9.2f}   ({each})")
    return 0
