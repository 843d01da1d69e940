"""Dead-letter a bad directory event exactly once, whichever worker reads it first — no worker is special.

Every worker reads all of `<ns>.directory`, so every worker meets a bad event (one another tool wrote
straight to the topic). Each skips it; the dead letter is written once: under one transactional id
shared by all workers of the group (`<group>-directory-guard`), a worker first fences any other
worker's guard transaction (`init_transactions` finishes or aborts it), then reads the dead-letter
topic (`read_committed`) for a dead letter of the same origin (`govx_source` =
`<topic>/<partition>/<offset>`), and writes one only if there is none. A worker fenced while
writing tries again and finds the other's. Bad directory events are rare; each costs one read of
the dead-letter topic.
"""

from __future__ import annotations

import logging
from typing import Any, cast

from exchange.core.decide import dead_letter_headers
from exchange.core.message import Message
from exchange.errors import InvalidEvent, TransportError
from exchange.kafka.transport import GroupConsumer, Transport, closed_after

log = logging.getLogger(__name__)
ATTEMPTS = 3


class _NoOffsets:
    """The guard's transactions commit no consumed offsets."""

    def group_metadata(self) -> Any:
        return None


def origin_of(message: Message) -> bytes:
    return f"{message.topic}/{message.partition}/{message.offset}".encode()


def dead_lettered(transport: Transport, dlq: str, origin: bytes) -> bool:
    """Whether `dlq` holds a committed dead letter of `origin` already."""
    reader = transport.reader([dlq])
    try:
        return any(dict(m.headers).get("govx_source") == origin for m in reader.read_to_end(30.0))
    finally:
        reader.close()


def dead_letter_once(transport: Transport, group: str, dlq: str, message: Message, invalid: InvalidEvent) -> bool:
    """Write the dead letter of `message` unless some worker did; True when this call wrote it."""
    headers = dead_letter_headers(message, invalid)
    for attempt in range(1, ATTEMPTS + 1):
        try:  # a producer another worker's guard fenced may fail to close: it is logged, not raised
            with closed_after(transport.transactional(f"{group}-directory-guard")) as producer:
                if dead_lettered(transport, dlq, origin_of(message)):
                    return False
                producer.begin()
                producer.send(dlq, message.value, key=message.key, headers=headers)
                producer.commit({}, cast(GroupConsumer, _NoOffsets()))
                return True
        except TransportError as exc:
            log.warning("dead-lettering directory event %s (attempt %d): %s", origin_of(message), attempt, exc)
    log.error("could not dead-letter directory event %s after %d attempts", origin_of(message), ATTEMPTS)
    return False
