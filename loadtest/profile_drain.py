"""Profile one worker draining the standard mix: `python -m loadtest.profile_drain --client confluent`.

The mix is written to a fresh namespace, one `Worker` runs in this process under cProfile until it
has committed every event, and the main thread's time is printed per event and per transaction for
the worker's stages (decide, produce, poll, commit, metrics). librdkafka's and kafka-python's
background threads are not in cProfile's view; the process CPU time printed beside includes them.
docs/benchmarks.md §2 records the output.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
import uuid

from prometheus_client import CollectorRegistry

from exchange.core.catalogue import load_catalogue
from exchange.core.topics import Topics
from exchange.kafka.provision import provision
from exchange.kafka.transport import closed_after, kafka_transport
from exchange.runtime.metrics import Metrics
from exchange.runtime.settings import load_settings
from exchange.worker import Worker, WorkerConfig
from loadtest.corebench import standard_mix
from loadtest.drainbench import _create_inboxes, _fill

STAGES = {"decide (Exchange.process)": ("core/decide.py", "process"),
          "produce (send_batch)": ("exchange/kafka/", "send_batch"),
          "poll, to Message": ("exchange/kafka/c", "poll"),  # client.py, confluent.py
          "commit (offsets + EndTxn)": ("exchange/transaction.py", "commit"),
          "metrics (count_batch)": ("exchange_meter.py", "count_batch")}


def _consumed(metrics: Metrics) -> float:
    return sum(s.value for f in metrics.registry.collect() for s in f.samples if s.name == "govx_events_consumed_total")


def profile(bootstrap: str, client: str, events: int) -> None:
    transport, catalogue = kafka_transport(bootstrap, client=client), load_catalogue()
    topics = Topics(f"prof-{uuid.uuid4().hex[:8]}")
    provision(transport, topics, catalogue, partitions=3)
    driver, messages = standard_mix(catalogue, events, seed=1, topics=topics)
    _create_inboxes(transport, topics, driver, messages)
    _fill(transport, messages)
    metrics = Metrics(CollectorRegistry())
    worker = Worker(WorkerConfig("profile", group=f"{topics.namespace}-x", namespace=topics.namespace), metrics,
                    transport)
    profiler = cProfile.Profile()
    with closed_after(worker):
        worker.open()
        while not worker.holds_partitions():
            worker.step()
        cpu, wall = time.process_time(), time.perf_counter()
        profiler.enable()
        while _consumed(metrics) < len(messages):
            worker.step()
        profiler.disable()
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    transactions = metrics.registry.get_sample_value("govx_transactions_total", {"result": "committed"}) or 1
    print(f"{client}: {len(messages)} events in {wall:.2f} s ({len(messages) / wall:,.0f} events/s), "
          f"{transactions:.0f} transactions; process CPU {cpu / len(messages) * 1e6:.0f} µs per event")
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    for stage, (path, function) in STAGES.items():
        seconds = sum(v[3] for (file, _, name), v in stats.items() if path in file and name == function)
        print(f"  {stage:<28} {seconds / len(messages) * 1e6:8.1f} µs per event  "
              f"{seconds / transactions * 1000:8.1f} ms per transaction")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--client", choices=("kafka-python", "confluent"), default="confluent")
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args()
    profile(load_settings().bootstrap, args.client, args.events)


if __name__ == "__main__":
    main()
