"""pytest-benchmark: the exchange core and the raw fastavro decode of the same standard mix.

Run with `make bench` (timings enabled); `make test` runs each once, to keep them working.
The ratio and events/s are printed by `govx bench core`; docs/benchmarks.md records them.
"""

from __future__ import annotations

from typing import Any

from exchange.core.identifiers import problem
from exchange.core.layout import Layout
from exchange.core.message import Message
from exchange.core.testing import ExchangeDriver
from loadtest.corebench import composition, core_runner, raw_decoder

Mix = tuple[ExchangeDriver, list[Message]]


def test_raw_fastavro_decode_of_the_mix(benchmark: Any, mix: Mix) -> None:
    driver, messages = mix
    decoded = benchmark(raw_decoder(driver), messages)
    assert decoded > 0.9 * len(messages)


def test_exchange_core_on_the_mix(benchmark: Any, mix: Mix) -> None:
    driver, messages = mix
    run = core_runner(driver)
    outcomes = benchmark.pedantic(run, args=(messages,), setup=problem.cache_clear, rounds=7, iterations=1)
    shares = composition(outcomes)
    assert {"dead_lettered", "skipped_only", "with_full", "with_masked", "with_projected"} <= set(shares)


def test_layout_scan_of_the_mix(benchmark: Any, mix: Mix) -> None:
    driver, messages = mix
    layouts = {r.schema.id: r.layout for r in driver.rules.all()}
    valid = [(layouts[int.from_bytes(m.value[1:5], "big")], m.value) for m in messages
             if m.value and int.from_bytes(m.value[1:5], "big") in layouts and m.value[0] == 0]

    def scan_all() -> int:
        scanned = 0
        for layout, value in valid:
            try:
                layout.bounds(value, 5)
                scanned += 1
            except Exception:  # noqa: S112 - the mix holds undecodable events on purpose
                continue
        return scanned

    assert benchmark(scan_all) > 0.9 * len(valid)
    assert all(isinstance(layout, Layout) for layout, _ in valid[:1])
