"""Provisioning an exchange on a cluster: its topics, and a directory seeded from the catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from exchange.core.catalogue import Catalogue, seed_events
from exchange.core.directory_view import DirectoryView
from exchange.core.topics import Topics
from exchange.kafka.directory_feed import DirectoryFeed, publish
from exchange.kafka.transport import Transport


@dataclass(frozen=True)
class Provisioned:
    """What provisioning did."""

    topics_created: tuple[str, ...]
    directory_events: int


def read_directory(transport: Transport, topics: Topics, catalogue: Catalogue,
                   timeout_s: float = 30.0) -> DirectoryView:
    """The directory as `<ns>.directory` holds it now."""
    view = DirectoryView(catalogue.departments)
    feed = DirectoryFeed(transport.reader([topics.directory]), view)
    try:
        feed.catch_up(timeout_s)
    finally:
        feed.close()
    return view


def provision(transport: Transport, topics: Topics, catalogue: Catalogue, *, partitions: int = 3,
              at: datetime | None = None) -> Provisioned:
    """Create the missing topics and publish the catalogue entries the directory lacks. Idempotent."""
    admin = transport.admin()
    try:
        created = admin.ensure_topics(topics.control(partitions) + topics.sources(catalogue.resources, partitions))
    finally:
        admin.close()
    view = read_directory(transport, topics, catalogue)
    events = seed_events(catalogue, view, at or datetime.now(UTC))
    publisher = transport.producer()
    try:
        count = publish(publisher, topics.directory, events)
    finally:
        publisher.close()
    return Provisioned(tuple(created), count)
