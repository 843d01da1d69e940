"""One producer per department node, each authenticated as that node (a secure cluster).

A simulator process publishes for several nodes; on a secure cluster each node's events must go
out under the node's own principal, so the broker's ACLs — not govx's honesty — decide what it
may write. Producers are made on a node's first event and share nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor

from exchange.core.directory import Node
from exchange.core.message import Headers
from exchange.core.security import ClientSecurity
from exchange.kafka.client import Publisher


class NodePublishers:
    """The producers of the nodes a process publishes for, by (division, department)."""

    def __init__(self, bootstrap: str, security_of: Callable[[Node], ClientSecurity], default: Node,
                 *, linger_ms: int = 10) -> None:
        self._bootstrap, self._security_of, self._linger_ms = bootstrap, security_of, linger_ms
        self._default = default
        self._publishers: dict[Node, Publisher] = {}

    def __call__(self, division: str, department: str) -> Publisher:
        node = Node(division, department)
        if node not in self._publishers:
            self._publishers[node] = Publisher(self._bootstrap, linger_ms=self._linger_ms,
                                               security=self._security_of(node))
        return self._publishers[node]

    def send(self, topic: str, value: bytes | None, *, key: bytes | None = None,
             headers: Headers | list[tuple[str, bytes]] = (), timestamp_ms: int | None = None) -> None:
        """Send as the default node (events without a sending node of their own)."""
        self(self._default.division, self._default.department).send(
            topic, value, key=key, headers=headers, timestamp_ms=timestamp_ms)

    def connect(self, topics_of: Mapping[Node, Iterable[str]], parallel: int = 8) -> None:
        """Open the producers of these nodes now, several at a time, each fetching its topics' metadata."""
        def open_one(node: Node) -> None:
            self(node.division, node.department).prepare(topics_of[node])

        with ThreadPoolExecutor(parallel, thread_name_prefix="connect") as pool:
            list(pool.map(open_one, sorted(topics_of)))

    def prepare(self, topics: Iterable[str]) -> None:
        """Nothing to fetch ahead: each node may describe only the topics it writes."""

    def flush(self, timeout_s: float | None = None) -> None:
        for publisher in self._publishers.values():
            publisher.flush(timeout_s)

    def close(self, timeout_s: float = 10.0) -> None:
        for publisher in self._publishers.values():
            publisher.close(timeout_s)
