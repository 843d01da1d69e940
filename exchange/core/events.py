"""Building source events in the wire contract (docs/architecture.md §4), as a departmental system must.

Used by the department simulators, the in-memory test driver and anyone writing a client:
key = the subject identifier, value = Avro in the Confluent wire format, headers = CloudEvents
binary mode, Kafka timestamp = the event time.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from exchange.core import envelope
from exchange.core.codec import RegisteredSchema, encode
from exchange.core.directory import Resource
from exchange.core.envelope import Envelope
from exchange.core.message import Headers, Message
from exchange.core.topics import Topics


@dataclass(frozen=True)
class SourceEvent:
    """One event ready for `gov.src.<resource>`."""

    topic: str
    key: bytes
    value: bytes
    headers: Headers
    timestamp_ms: int
    envelope: Envelope

    def as_message(self, partition: int = 0, offset: int = 0) -> Message:
        """The same event as a consumer would read it (for the in-memory driver and tests)."""
        return Message(self.topic, partition, offset, self.key, self.value, self.headers, self.timestamp_ms)


def event_id(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so seeded runs repeat their event ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_event(resource: Resource, schema: RegisteredSchema, record: Mapping[str, Any], *, division: str,
                department: str, at: datetime, rng: random.Random, action: str = "created",
                topics: Topics | None = None, key: str | None = None, region: str | None = None) -> SourceEvent:
    """Encode `record` and wrap it in the CloudEvents headers of `department` at `division`.

    The key (= `ce_subject`) and `ce_region` come from the record's subject and region fields
    unless given: a simulator passes them to build deliberately inconsistent events.
    """
    key = str(record[resource.subject]) if key is None else key
    region = str(record[resource.region_field]) if region is None else region
    event = Envelope(event_id(rng), division, department, resource.id, action, key, envelope.rfc3339(at),
                     region, envelope.traceparent(rng))
    topic = (topics or Topics()).source(resource.id)
    return SourceEvent(topic, key.encode(), encode(schema, record), tuple(envelope.headers(event)),
                       int(at.timestamp() * 1000), event)
