"""Reading a topic to its end, the same way on either client."""

from __future__ import annotations

import time
from collections.abc import Callable

from exchange.core.message import Message
from exchange.errors import TransportError


def read_to_end(poll: Callable[[int], list[Message]], caught_up: Callable[[], bool],
                timeout_s: float) -> list[Message]:
    """Poll until `caught_up()` (every partition read to the end offsets it had when asked), within `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    messages: list[Message] = []
    while not caught_up():
        if time.monotonic() > deadline:
            raise TransportError("timed out reading to the end of the topic")
        messages.extend(poll(200))
    return messages
