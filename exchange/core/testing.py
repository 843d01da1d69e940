"""An in-memory driver for the exchange core, as Kafka Streams' TopologyTestDriver is for topologies.

It runs the same `Exchange` the worker runs, over events built in memory, so tests of routing,
masking and validation take microseconds. It is not a substitute for the broker tests: nothing
here exercises Kafka, transactions or the wire.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from exchange.core.catalogue import Catalogue, load_catalogue, seed_events
from exchange.core.codec import Record, RegisteredSchema, SchemaRegistry, decode
from exchange.core.decide import Delivery, Exchange, Moment, Outcome
from exchange.core.directory import DirectoryEvent
from exchange.core.directory_view import DirectoryView
from exchange.core.events import SourceEvent, build_event
from exchange.core.message import Message
from exchange.core.rules import Rules


class ExchangeDriver:
    """The exchange core over a directory seeded from the catalogue, with no broker."""

    def __init__(self, catalogue: Catalogue | None = None, *, at: datetime | None = None, seed: int = 7) -> None:
        self.catalogue = catalogue or load_catalogue()
        self.at = at or datetime.now(UTC)
        self.view = DirectoryView(self.catalogue.departments)
        self.view.apply_all(seed_events(self.catalogue, self.view, self.at))
        self.rules = Rules(SchemaRegistry())
        self.rules.update(self.view, list(self.view.resources))
        self.exchange = Exchange(self.rules)
        self.rng = random.Random(seed)

    @property
    def registry(self) -> SchemaRegistry:
        return self.rules.registry

    def apply(self, event: DirectoryEvent) -> None:
        """Apply a directory change and recompile, as a worker does between batches."""
        affected = self.view.apply(event)
        if affected is not None:
            self.rules.update(self.view, {affected})

    def schema(self, resource_id: str) -> RegisteredSchema:
        return self.registry.register(self.view.resource(resource_id).definition)

    def event(self, resource_id: str, record: Mapping[str, Any], *, department: str | None = None,
              division: str | None = None, action: str = "created", at: datetime | None = None) -> SourceEvent:
        """A valid source event for `record`, published by the resource's first provider."""
        resource = self.view.resource(resource_id)
        return build_event(resource, self.schema(resource_id), record, division=division or resource.owner_division,
                           department=department or resource.providers[0], at=at or self.at, rng=self.rng,
                           action=action)

    def pipe(self, event: SourceEvent | Message, at: datetime | None = None) -> Outcome:
        message = event.as_message() if isinstance(event, SourceEvent) else event
        return self.exchange.process(message, Moment.of(at or self.at))

    def decode(self, delivery: Delivery) -> tuple[RegisteredSchema, Record]:
        """Decode a delivery as its consumer would: by the schema id in its value."""
        return decode(self.registry, delivery.value)
