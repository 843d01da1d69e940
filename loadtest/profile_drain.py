"""Profile one worker draining the standard mix: `python -m loadtest.profile_drain --client confluent`.

The mix is written to a fresh namespace, one `Worker` runs in this process under cProfile until it
has committed every event, and the main thread's time is printed per event and per transaction for
the worker's stages (decide, produce, poll, commit, metrics). librdkafka's and kafka-python's
background threads are not in cProfile's view; the process CPU time printed beside includes them.
`--no-profile` times the same drain without cProfile (for a sampling profiler from outside, or for the
rate), `--broker-pid` adds a local broker's CPU per event. The heap is settled as `govx exchange`
settles it, and the namespace is deleted at the end. docs/benchmarks.md §2 records the output.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import os
import pstats
import time
import uuid
from pathlib import Path

from prometheus_client import CollectorRegistry

from exchange.core.catalogue import load_catalogue
from exchange.core.topics import Topics
from exchange.kafka.provision import provision
from exchange.kafka.transport import Transport, closed_after, kafka_transport
from exchange.runtime.metrics import Metrics
from exchange.runtime.service import settle_heap
from exchange.runtime.settings import load_settings
from exchange.worker import Worker, WorkerConfig
from loadtest.corebench import standard_mix
from loadtest.drainbench import _create_inboxes, _fill
from loadtest.namespace import delete_namespace

STAGES = {"decide (Exchange.process)": ("core/decide.py", "process"),
          "produce (send_batch)": ("exchange/kafka/", "send_batch"),
          "poll, to Message": ("exchange/kafka/c", "poll"),  # client.py, confluent.py
          "commit (offsets + EndTxn)": ("exchange/recovery.py", "commit"),
          "metrics (count_batch)": ("exchange_meter.py", "count_batch")}


def _consumed(metrics: Metrics) -> float:
    return sum(s.value for f in metrics.registry.collect() for s in f.samples if s.name == "govx_events_consumed_total")


def profile(bootstrap: str, client: str, events: int, *, profiled: bool = True, broker_pid: int | None = None) -> None:
    """Drain a fresh namespace's mix with one in-process worker, print its figures, delete the namespace."""
    transport, catalogue = kafka_transport(bootstrap, client=client), load_catalogue()
    topics = Topics(f"prof-{uuid.uuid4().hex[:8]}")
    provision(transport, topics, catalogue, partitions=3)
    try:
        driver, messages = standard_mix(catalogue, events, seed=1, topics=topics)
        _create_inboxes(transport, topics, driver, messages)
        _fill(transport, messages)
        _drain(transport, topics, len(messages), client, cProfile.Profile() if profiled else None, broker_pid)
    finally:  # ~1 000 inbox partitions a run: left behind, a few dozen runs exhaust the broker's open files
        delete_namespace(transport, topics)


def _drain(transport: Transport, topics: Topics, total: int, client: str, profiler: cProfile.Profile | None,
           broker_pid: int | None) -> None:
    metrics = Metrics(CollectorRegistry())
    worker = Worker(WorkerConfig("profile", group=f"{topics.namespace}-x", namespace=topics.namespace), metrics,
                    transport)
    with closed_after(worker):
        worker.open()
        while not worker.holds_partitions():
            worker.step()
        settle_heap()
        cpu, wall, broker = time.process_time(), time.perf_counter(), _cpu_s(broker_pid)
        with profiler or contextlib.nullcontext():
            while _consumed(metrics) < total:
                worker.step()
        cpu, wall, broker = time.process_time() - cpu, time.perf_counter() - wall, _cpu_s(broker_pid) - broker
    transactions = metrics.registry.get_sample_value("govx_transactions_total", {"result": "committed"}) or 1
    on_broker = f"; broker CPU {broker / total * 1e6:.0f} µs per event" if broker_pid else ""
    print(f"{client}: {total} events in {wall:.2f} s ({total / wall:,.0f} events/s), {transactions:.0f} "
          f"transactions; process CPU {cpu / total * 1e6:.0f} µs per event{on_broker}")
    if profiler is not None:
        _print_stages(profiler, total, transactions)


def _cpu_s(pid: int | None) -> float:
    """The CPU time (user + system) process `pid` has used, in seconds; 0 without one."""
    if pid is None:
        return 0.0
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _print_stages(profiler: cProfile.Profile, total: int, transactions: float) -> None:
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for stage, (path, function) in STAGES.items():
        seconds = sum(v[3] for (file, _, name), v in stats.items() if path in file and name == function)
        print(f"  {stage:<28} {seconds / total * 1e6:8.1f} µs per event  "
              f"{seconds / transactions * 1000:8.1f} ms per transaction")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=("kafka-python", "confluent"), default="confluent")
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--no-profile", action="store_true", help="time the drain without cProfile")
    parser.add_argument("--broker-pid", type=int, help="also print this local broker's CPU per event")
    args = parser.parse_args()
    profile(load_settings().bootstrap, args.client, args.events, profiled=not args.no_profile,
            broker_pid=args.broker_pid)


if __name__ == "__main__":
    main()
