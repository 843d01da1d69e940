"""`govx bench exchange` compares drains of the same round only, and alternates which of the reference router
and govx's workers runs first: the broker's cost per append moves several times over between rounds."""

from __future__ import annotations

import os
import time

from exchange.core.topics import Topics
from loadtest.drainbench import REFERENCE, DrainBench, plan
from loadtest.profile_drain import _cpu_s

WORKER = "govx worker (confluent)"


def test_a_ratio_pairs_the_drains_of_one_round_not_the_medians_of_all() -> None:
    bench = DrainBench(20_000, {REFERENCE: [4_000.0, 2_000.0, 6_000.0], WORKER: [6_000.0, 3_400.0, 6_600.0]})
    assert bench.ratios(WORKER) == [1.5, 1.7, 1.1]
    assert bench.ratio(WORKER) == 1.5
    # a worker slow in a slow round and fast in a fast one: the medians (3 400 against 4 000) pair different rounds
    shifted = DrainBench(20_000, {REFERENCE: [4_000.0, 2_000.0, 6_000.0], WORKER: [3_000.0, 3_400.0, 9_000.0]})
    assert shifted.ratio(WORKER) == 1.5 and shifted.rates[WORKER] / shifted.rates[REFERENCE] == 3_400 / 4_000


def test_the_reference_router_runs_before_the_workers_in_even_rounds_and_after_them_in_odd_ones() -> None:
    def order(round_no: int) -> list[str]:
        return list(plan("127.0.0.1:9", Topics("bench-x"), 1000, (1, 2), ("confluent",), round_no))

    even, odd = order(0), order(1)
    assert even.index(REFERENCE) < even.index(WORKER) < even.index("govx 2 workers (confluent)")
    assert odd.index(WORKER) < odd.index("govx 2 workers (confluent)") < odd.index(REFERENCE)
    assert sorted(even) == sorted(odd) and odd[-1] == REFERENCE


def test_the_profiled_drain_reads_a_process_cpu_time_as_the_process_counts_it() -> None:
    sum(i * i for i in range(300_000))  # some CPU of this process's own to read
    read, counted = _cpu_s(os.getpid()), time.process_time()
    assert read > 0 and abs(read - counted) < 0.1 and _cpu_s(None) == 0.0
