"""kafka-python's rebalance listener, reduced to what the worker needs: which partitions it is about to give up."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from kafka import ConsumerRebalanceListener

Partition = tuple[str, int]


class Revocations(ConsumerRebalanceListener):  # type: ignore[misc]
    """Tells the subscriber's owner which partitions it is about to give up, inside `poll()`."""

    def __init__(self, on_revoke: Callable[[set[Partition]], None] | None) -> None:
        self._on_revoke = on_revoke

    def on_partitions_revoked(self, revoked: Any) -> None:
        if self._on_revoke is not None and revoked:
            self._on_revoke({(tp.topic, tp.partition) for tp in revoked})

    def on_partitions_assigned(self, assigned: Any) -> None:
        """Assigned partitions start from their committed offsets: nothing to do."""
