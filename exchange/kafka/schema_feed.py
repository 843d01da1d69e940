"""`gov.schemas`: every registered schema by id, on a compacted topic any process can read.

Ids are derived from the schemas themselves (see `codec`), so publishing is idempotent: a
worker writes the schemas it registered (view schemas of grants included); a receiver reads the
topic to decode deliveries whose view schema it has never seen.
"""

from __future__ import annotations

import json

from exchange.core.codec import SchemaRegistry
from exchange.errors import GovxError
from exchange.kafka.transport import Producer, TopicReader


class SchemaPublisher:
    """Writes each schema of a registry to `gov.schemas` once."""

    def __init__(self, publisher: Producer, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic
        self._published: set[int] = set()

    def publish(self, registry: SchemaRegistry) -> int:
        fresh = [schema for schema in registry if schema.id not in self._published]
        for schema in fresh:
            value = json.dumps(dict(schema.schema), ensure_ascii=False, sort_keys=True).encode("utf-8")
            self._publisher.send(self._topic, value, key=str(schema.id).encode())
        if fresh:
            self._publisher.flush()
            self._published.update(schema.id for schema in fresh)
        return len(fresh)


def load_published(reader: TopicReader, registry: SchemaRegistry, timeout_s: float = 30.0) -> int:
    """Register every schema `reader` (on `<ns>.schemas`) holds into `registry`, then close it;
    return how many were read."""
    try:
        messages = reader.read_to_end(timeout_s)
    finally:
        reader.close()
    for message in messages:
        if message.value is None:
            continue
        schema = registry.register(json.loads(message.value))
        if message.key is not None and str(schema.id) != message.key.decode():
            raise GovxError(f"gov.schemas holds {schema.name} under id {message.key.decode()} but it derives "
                            f"id {schema.id}: the topic was written by something else")
    return len(messages)
