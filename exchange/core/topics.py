"""The topics of one exchange, under a namespace (default `gov`; docs/architecture.md §1).

| topic                        | what                                   | configured             |
|------------------------------|----------------------------------------|------------------------|
| <ns>.src.<resource>          | source events, one topic per resource  | `partitions`           |
| <ns>.dlv.<division>.<dept>   | one consumer node's deliveries         | `inbox_partitions`     |
| <ns>.dlq                     | dead letters, original bytes + reason  | 1 partition            |
| <ns>.audit                   | usage records, one per delivered event | `partitions`           |
| <ns>.directory               | directory events (compacted)           | 1 partition, compacted, LogAppendTime |
| <ns>.schemas                 | registered schemas by id (compacted)   | 1 partition, compacted |

Another namespace runs a second, fully separate exchange on the same cluster: the
integration tests give each test its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from exchange.core.directory import Node

NAMESPACE = re.compile(r"[a-z][a-z0-9_-]{0,40}\Z")
# the broker stamps each directory event with the time it appended it: a write's deadline is judged by it
DIRECTORY_CONFIGS = {"message.timestamp.type": "LogAppendTime"}


@dataclass(frozen=True)
class TopicSpec:
    """A topic govx needs, and how it must be configured."""

    name: str
    partitions: int = 1
    compacted: bool = False
    configs: Mapping[str, str] = field(default_factory=dict)

    def broker_configs(self) -> dict[str, str]:
        policy = {"cleanup.policy": "compact"} if self.compacted else {}
        return {**policy, **self.configs}


@dataclass(frozen=True)
class Topics:
    """Topic names of one exchange."""

    namespace: str = "gov"

    def __post_init__(self) -> None:
        if not NAMESPACE.match(self.namespace):
            raise ValueError(f"topic namespace {self.namespace!r} must match {NAMESPACE.pattern}")

    def source(self, resource_id: str) -> str:
        return f"{self.namespace}.src.{resource_id}"

    def inbox(self, node: Node) -> str:
        return f"{self.namespace}.dlv.{node.division}.{node.department}"

    def node_group(self, node: Node) -> str:
        """The prefix of the consumer groups a department node reads its inbox with."""
        return f"{self.namespace}-{node.division}-{node.department}"

    @property
    def dlq(self) -> str:
        return f"{self.namespace}.dlq"

    @property
    def audit(self) -> str:
        return f"{self.namespace}.audit"

    @property
    def directory(self) -> str:
        return f"{self.namespace}.directory"

    @property
    def schemas(self) -> str:
        return f"{self.namespace}.schemas"

    @property
    def source_pattern(self) -> str:
        """Every source topic of the namespace, as a subscription pattern."""
        return rf"^{re.escape(self.namespace)}\.src\..+"

    @property
    def inbox_prefix(self) -> str:
        return f"{self.namespace}.dlv."

    @property
    def inbox_pattern(self) -> str:
        """Every inbox of the namespace, as a subscription pattern."""
        return rf"^{re.escape(self.inbox_prefix)}.+"

    def inbox_pattern_of(self, node: Node) -> str:
        """One node's inbox, as a subscription pattern."""
        return rf"^{re.escape(self.inbox(node))}$"

    @property
    def receivers_group(self) -> str:
        """The department receivers' consumer group."""
        return f"{self.namespace}-receivers"

    @property
    def run_exchange_group(self) -> str:
        """The exchange workers' group in a `govx run` namespace (elsewhere GOVX_EXCHANGE_GROUP)."""
        return f"{self.namespace}-x"

    def api_group(self, instance: str) -> str:
        """The group of one API process reading the sources into its record store."""
        return f"{self.namespace}-api-{instance}"

    def control(self, partitions: int) -> list[TopicSpec]:
        """The topics every exchange needs whatever its directory holds."""
        return [TopicSpec(self.directory, 1, compacted=True, configs=DIRECTORY_CONFIGS),
                TopicSpec(self.schemas, 1, compacted=True),
                TopicSpec(self.dlq, 1), TopicSpec(self.audit, partitions)]

    def sources(self, resource_ids: Iterable[str], partitions: int) -> list[TopicSpec]:
        return [TopicSpec(self.source(resource_id), partitions) for resource_id in sorted(set(resource_ids))]

    def inboxes(self, nodes: Iterable[Node], partitions: int = 1) -> list[TopicSpec]:
        return [TopicSpec(self.inbox(node), partitions) for node in sorted(set(nodes))]
