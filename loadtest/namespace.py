"""A run's own namespace on the cluster: its topics and directory before the run, its plans, and cleanup after.

Each run provisions a fresh namespace (`GOVX_TOPIC_NAMESPACE`), so runs on one cluster never see
each other's topics, groups or directory (docs/load-testing.md, "What happens").
"""

from __future__ import annotations

from pathlib import Path

from exchange.core import regions
from exchange.core.catalogue import Catalogue
from exchange.core.topics import Topics
from exchange.kafka.provision import provision, read_directory
from exchange.kafka.transport import Transport
from loadtest.expected import GrantTerms, save_terms, terms_of
from loadtest.plan import ProducerPlan, SourcePlan
from loadtest.scenario import Scenario


def prepare(transport: Transport, topics: Topics, catalogue: Catalogue, scenario: Scenario, folder: Path) -> None:
    """Create the namespace's topics and directory, save the grants' terms, and create the inboxes in play."""
    provision(transport, topics, catalogue, partitions=scenario.partitions)
    view = read_directory(transport, topics, catalogue)
    terms = terms_of(view)
    folder.mkdir(parents=True, exist_ok=True)
    save_terms(terms, folder / "grants.json")
    in_play = receiving(terms, scenario)  # once, not per grant: that made provisioning quadratic in the grants
    admin = transport.admin()
    try:
        admin.ensure_topics(topics.inboxes({g.consumer for g in view.grants.values() if g.id in in_play}))
    finally:
        admin.close()


def write_plans(scenario: Scenario, folder: Path, start_s: float, steps: tuple[tuple[float, float], ...],
                duration_s: float) -> list[Path]:
    """One producer plan per producer process, the scenario's nodes dealt out between them."""
    shards: list[list[SourcePlan]] = [[] for _ in range(min(scenario.producers, len(scenario.nodes)))]
    for index, node in enumerate(scenario.nodes):
        shards[index % len(shards)] += [SourcePlan(node.division, d, r) for d, r in node.rates.items() if r > 0]
    paths = []
    for index, sources in enumerate(shards):
        path = folder / f"plan-{index}.json"
        ProducerPlan(tuple(sources), duration_s, start_s, scenario.seed + index, ramp_s=scenario.ramp_up_s,
                     steps=steps, bad_share=scenario.bad_share).write(path)
        paths.append(path)
    return paths


def inbox_topics(transport: Transport, topics: Topics) -> list[str]:
    """Every inbox of the namespace that exists now."""
    admin = transport.admin()
    try:
        return sorted(t for t in admin.topics() if t.startswith(topics.inbox_prefix))
    finally:
        admin.close()


def delete_namespace(transport: Transport, topics: Topics) -> None:
    """Delete every topic of the namespace."""
    admin = transport.admin()
    try:
        admin.delete_topics(t for t in admin.topics() if t.startswith(f"{topics.namespace}."))
    finally:
        admin.close()


def receiving(terms: list[GrantTerms], scenario: Scenario) -> set[str]:
    """The grants that can deliver events of the scenario's nodes (their inboxes are created up front)."""
    regions_in_play = {code for node in scenario.nodes for code in _subtree(node.division)}
    return {t.id for t in terms if t.eligible and any(t.scope.covers(t.consumer.partition("/")[0], r)
                                                      for r in regions_in_play)}


def _subtree(division: str) -> set[str]:
    found = {division}
    for child in regions.children(division):
        found |= _subtree(child.code)
    return found
