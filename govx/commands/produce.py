"""`govx produce`: department simulators publishing realistic records."""

from __future__ import annotations

import os
import time
from datetime import datetime
from pathlib import Path

import typer
from rich.console import Console

from exchange.core import regions
from exchange.core.access import catalogue_nodes
from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.directory import Node
from exchange.core.security import node_principal
from exchange.core.topics import Topics
from exchange.errors import ConfigError
from exchange.kafka.node_publishers import NodePublishers
from exchange.kafka.transport import closed_after, kafka_transport
from exchange.runtime.ledger import LedgerWriter
from exchange.runtime.metrics import counting_refusals
from exchange.runtime.retry import GIVE_UP_S
from exchange.runtime.secrets import client_security
from exchange.runtime.service import announce_ready, configure_logging, metrics_server, stop_on_signals
from exchange.runtime.settings import Settings, load_settings
from loadtest.plan import ProducerPlan, SourcePlan
from producers.faults import Fault
from producers.simulator import Simulator
from producers.world import originating_departments

console = Console(stderr=True)


def _plan_from_options(nodes: list[str], departments: list[str], rate: float, duration: float, ramp: float,
                       seed: int, bad_share: float) -> ProducerPlan:
    catalogue = load_catalogue()
    sources = []
    for division in nodes:
        if not regions.is_known(division):
            raise ConfigError(f"--node {division} is not a division of the province")
        offered = originating_departments(division, catalogue)
        chosen = departments or list(offered)
        unknown = set(chosen) - set(offered)
        if unknown:
            raise ConfigError(f"at {division} these departments originate no events: {', '.join(sorted(unknown))}; "
                              f"choose from {', '.join(offered)}")
        sources += [SourcePlan(division, department, rate) for department in chosen]
    return ProducerPlan(tuple(sources), duration, time.time() + 0.5, seed, ramp_s=ramp, bad_share=bad_share)


def _node_publishers(settings: Settings, catalogue: Catalogue, topics: Topics, plan: ProducerPlan) -> NodePublishers:
    """Secure cluster: a producer per node of the plan's divisions, each as its own principal,
    connected and with its topics' metadata fetched before the start."""
    divisions = {source.division for source in plan.sources}
    publishers = NodePublishers(settings.bootstrap, lambda node: client_security(settings, node_principal(node)),
                                Node(plan.sources[0].division, plan.sources[0].department))
    provided = {node: [topics.source(r.id) for r in catalogue.resources.values() if node.department in r.providers]
                for node in catalogue_nodes(catalogue.departments.values()) if node.division in divisions}
    publishers.connect({node: names for node, names in provided.items() if names})
    return publishers


def produce(
    node: list[str] = typer.Option(["440106"], help="division code of a producing node (repeat for several)"),
    department: list[str] = typer.Option([], help="department code (repeat); default: all that originate events"),
    rate: float = typer.Option(1.0, min=0.0, help="chains per second per department (fractions allowed)"),
    duration: float = typer.Option(10.0, min=0.1, help="seconds to produce"),
    ramp: float = typer.Option(0.0, min=0.0, help="seconds to ramp up from 0 to the rate"),
    seed: int = typer.Option(20261121, help="same seed, same events (apart from event times)"),
    bad_share: float = typer.Option(0.0, min=0.0, max=1.0, help="share of deliberately bad events"),
    ledger: Path | None = typer.Option(None, help="append what was produced to this JSON-lines ledger"),
    plan: Path | None = typer.Option(None, help="a plan file written by `govx run` (overrides the options above)"),
    metrics_port: int = typer.Option(0, help="serve /metrics on this port (0 = any free port)"),
    give_up_after: float = typer.Option(GIVE_UP_S, min=1.0, help="exit (status 2, with the reason) after its "
                                        "sends have failed this many seconds in a row"),
) -> int:
    """Publish realistic departmental events, with their cross-department chains, at a steady rate."""
    configure_logging("WARNING")
    settings = load_settings()
    run_plan = ProducerPlan.read(plan) if plan else _plan_from_options(node, department, rate, duration, ramp,
                                                                        seed, bad_share)
    stop = stop_on_signals()
    catalogue, topics = load_catalogue(), Topics(settings.topic_namespace)
    writer = LedgerWriter(ledger) if ledger else None
    secure = settings.security == "sasl"
    publisher = _node_publishers(settings, catalogue, topics, run_plan) if secure \
        else kafka_transport(settings.bootstrap, client=settings.kafka_client).producer(linger_ms=10)
    origin = datetime.fromisoformat(run_plan.clock_origin) if run_plan.clock_origin else None
    faults = [Fault(f) for f in run_plan.faults] or list(Fault)
    try:  # a publisher that fails to close is logged: it must not hide why the run failed
        with closed_after(publisher), metrics_server(settings.metrics_host, metrics_port) as (metrics, port), \
                counting_refusals(metrics):
            simulator = Simulator(catalogue, topics, publisher,
                                  run_plan.simulator_sources(), seed=run_plan.seed, start_s=run_plan.start_s,
                                  clock_origin=origin, bad_share=run_plan.bad_share, faults=faults, ledger=writer,
                                  metrics=metrics, pool_size=run_plan.pool_size,
                                  senders=publisher if isinstance(publisher, NodePublishers) else None,
                                  give_up_s=give_up_after)
            publisher.prepare(topics.source(resource) for resource in catalogue.resources)
            if plan is None:
                simulator.start_at(time.time() + 0.2)
            announce_ready(role="producer", metrics_port=port, pid=os.getpid())
            summary = simulator.run(stop)
    finally:
        if writer is not None:
            writer.close()
    console.print(f"produced {summary.produced} events ({sum(summary.faults.values())} deliberately bad); "
                  f"at most {summary.behind_max_s * 1000:.0f} ms behind schedule"
                  + ("; interrupted" if summary.interrupted else ""))
    return 0
