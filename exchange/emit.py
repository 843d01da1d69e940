"""What a worker writes for its decided events: deliveries, one usage record per event, dead letters.

The usage record of an event is one JSON record on the audit topic, keyed by the event id, with
one entry per delivery (`usages`): the regulation's record of every delivery stays complete while
the exchange writes one audit record per event instead of one per delivery (docs/benchmarks.md §4
measured what that saves). Records go to the producer's `send_batch`, so the per-record Python is
one tuple; each route's topic, headers and usage fragment were prepared when its rules compiled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from exchange.core.decide import Moment, Outcome, dead_letter_headers, usage_record
from exchange.core.topics import Topics
from exchange.kafka.transport import OutRecord, Producer


def records_of(outcomes: Iterable[Outcome], topics: Topics, at: Moment) -> Iterator[OutRecord]:
    """Every record the outcomes write, in order: each event's deliveries, then its usage record."""
    audit, dlq = topics.audit, topics.dlq
    for outcome in outcomes:
        message = outcome.message
        if outcome.dead_letter is not None:
            yield dlq, message.value, message.key, dead_letter_headers(message, outcome.dead_letter)
            continue
        deliveries, event = outcome.deliveries, outcome.envelope
        if not deliveries or event is None:
            continue
        for delivery in deliveries:
            yield delivery.route.topic, delivery.value, delivery.key, delivery.headers
        yield audit, usage_record(event, deliveries, at), event.id.encode(), ()


def emit(producer: Producer, outcomes: Iterable[Outcome], topics: Topics, at: Moment) -> None:
    """Send every record of `outcomes` (inside the caller's transaction)."""
    producer.send_batch(records_of(outcomes, topics, at))
