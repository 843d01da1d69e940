"""One sample event of a resource from a department node: valid, or broken on purpose.

The record comes from the node's simulated world (`World`), the event from the same
`EventFactory` the simulators publish with, and a broken one carries one of the simulators'
faults (`producers.faults`), so a sample is exactly what `govx produce` would send.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from exchange.core.catalogue import Catalogue
from exchange.core.codec import SchemaRegistry, decode
from exchange.core.directory import Node
from exchange.core.topics import Topics
from exchange.errors import GovxError
from producers.draft import Draft
from producers.faults import RECORD_FAULTS, Fault, identifier_fields
from producers.publish import EventFactory, Publication
from producers.world import World

ATTEMPTS = 60  # chains tried before giving up on finding the resource


@dataclass(frozen=True)
class Sample:
    """A sample event, and the record it carries (as encoded; for broken bytes, before they broke)."""

    publication: Publication
    record: dict[str, Any]


def sample(catalogue: Catalogue, resource: str, node: Node, *, at: datetime, seed: int = 1,
           bad: Fault | None = None, topics: Topics | None = None) -> Sample:
    """An event of `resource` published by `node`; `ValueError` says why there can be none."""
    if resource not in catalogue.resources:
        raise ValueError(f"no resource {resource!r}; resources: {', '.join(sorted(catalogue.resources))}")
    providers = catalogue.resources[resource].providers
    if node.department not in providers:
        raise ValueError(f"{node.department} does not provide {resource}; providers: {', '.join(providers)}")
    draft = _draft(catalogue, resource, node, at, seed, bad)
    factory = EventFactory(catalogue, topics or Topics(), random.Random(seed), bad_share=1.0 if bad else 0.0,
                           faults=(bad,) if bad else ())
    publication = factory.publication(draft, node.division, at)
    registry = SchemaRegistry()
    registry.register(catalogue.resources[resource].definition)
    try:
        return Sample(publication, decode(registry, publication.event.value)[1])
    except GovxError:  # a byte-level fault: the bytes no longer decode
        return Sample(publication, draft.record)


def _draft(catalogue: Catalogue, resource: str, node: Node, at: datetime, seed: int, bad: Fault | None) -> Draft:
    world = World(node.division, catalogue, seed=seed, clock_origin=at, pool_size=40)
    # The node's own chains first, then the others': a follow-up (a tax registration after a
    # business registration) is published by its department inside another's chain.
    origins = sorted(((d, k) for d in world.departments() for k in world.chain_kinds(d)),
                     key=lambda pair: pair[0] != node.department)
    if not origins:
        raise ValueError(f"nothing originates events at {node.division} in govx's simulation")
    fallback: Draft | None = None  # another provider's record, published as this node's
    for attempt in range(ATTEMPTS):
        department, kind = origins[attempt % len(origins)]
        for draft in world.chain_of(kind, 0.0, department=department):
            if draft.resource == resource and _fits(draft, bad):
                if draft.department == node.department:
                    return draft
                fallback = fallback or replace(draft, department=node.department)
        if fallback is not None and attempt >= len(origins):
            return fallback
    if fallback is not None:
        return fallback
    raise ValueError(f"no department at {node.division} publishes {resource} events in govx's simulation")


def _fits(draft: Draft, bad: Fault | None) -> bool:
    """A bad checksum needs an identifier field to corrupt; every other fault fits any draft."""
    return bad is not Fault.BAD_CHECKSUM or bool(identifier_fields(draft)) or bad not in RECORD_FAULTS
