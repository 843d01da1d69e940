"""The access rules of one exchange namespace, derived from the catalogue (deny by default).

| principal        | may                                                                          |
|------------------|------------------------------------------------------------------------------|
| node-<div>-<dep> | write the source topics of the resources its department provides;            |
|                  | read its own inbox, as groups prefixed `<ns>-<div>-<dep>`; read the schemas   |
|                  | and the directory (the public catalogue, to check deliveries against grants) |
| govx-exchange    | read the sources and the directory, write inboxes, audit, dead letters and   |
|                  | schemas, as groups and transactional ids prefixed with the exchange group    |
| govx-api         | read and write the directory, read the sources (the record store) and schemas |

The admin and broker principals are super users and need no rule. A rule is a plain value;
`exchange.kafka.access` turns rules into Kafka ACLs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from exchange.core import regions
from exchange.core.directory import Department, Node, Resource
from exchange.core.security import API, EXCHANGE, node_principal
from exchange.core.topics import Topics


@dataclass(frozen=True, order=True)
class AccessRule:
    """One ALLOW rule: `principal` may `operation` the `kind` named `name` (or prefixed by it)."""

    principal: str  # the SCRAM user name, without "User:"
    kind: str  # topic | group | transactional_id | cluster
    name: str
    operation: str  # read | write | describe | create | idempotent_write
    prefixed: bool = False


def catalogue_nodes(departments: Iterable[Department]) -> list[Node]:
    """Every department node the catalogue runs: each department at each of its levels' divisions."""
    return sorted(Node(division.code, department.code) for department in departments
                  for division in regions.nodes(department.levels))


def _topic(principal: str, name: str, *operations: str, prefixed: bool = False) -> list[AccessRule]:
    return [AccessRule(principal, "topic", name, operation, prefixed) for operation in operations]


def node_rules(node: Node, provides: Iterable[str], topics: Topics) -> list[AccessRule]:
    """What one department node may do: publish what it provides, read its own inbox."""
    who = node_principal(node)
    rules = [rule for resource in sorted(provides) for rule in _topic(who, topics.source(resource), "write")]
    rules += _topic(who, topics.inbox(node), "read", "describe")
    rules += _topic(who, topics.schemas, "read") + _topic(who, topics.directory, "read")
    rules.append(AccessRule(who, "group", topics.node_group(node), "read", prefixed=True))
    return rules


def exchange_rules(topics: Topics, group: str) -> list[AccessRule]:
    """The exchange workers: read sources, deliver, audit, dead-letter; transactions under `group`."""
    ns = topics.namespace
    rules = _topic(EXCHANGE, f"{ns}.src.", "read", "describe", prefixed=True)
    rules += _topic(EXCHANGE, f"{ns}.dlv.", "write", "create", "describe", prefixed=True)
    rules += _topic(EXCHANGE, topics.directory, "read", "describe")
    rules += _topic(EXCHANGE, topics.schemas, "read", "write", "describe")
    rules += _topic(EXCHANGE, topics.audit, "write", "describe") + _topic(EXCHANGE, topics.dlq, "write", "describe")
    rules.append(AccessRule(EXCHANGE, "group", group, "read", prefixed=True))
    rules += [AccessRule(EXCHANGE, "transactional_id", group, op, prefixed=True) for op in ("write", "describe")]
    rules.append(AccessRule(EXCHANGE, "cluster", "kafka-cluster", "idempotent_write"))
    return rules


def api_rules(topics: Topics) -> list[AccessRule]:
    """The directory API: the directory both ways, the sources and schemas for its record store."""
    rules = _topic(API, topics.directory, "read", "write", "describe")
    rules += _topic(API, f"{topics.namespace}.src.", "read", "describe", prefixed=True)
    rules += _topic(API, topics.schemas, "read", "describe")
    rules.append(AccessRule(API, "group", f"{topics.namespace}-api-", "read", prefixed=True))
    return rules


def namespace_prefixes(departments: Iterable[Department], topics: Topics, exchange_group: str) -> tuple[str, ...]:
    """The resource names a namespace's rules are about: provisioning removes govx's ACLs under
    these that no rule asks for, and leaves every other namespace alone (`gov` is not `gov-2`)."""
    groups = [topics.node_group(node) for node in catalogue_nodes(departments)]
    return (f"{topics.namespace}.", f"{topics.namespace}-api-", exchange_group, *groups)


def access_rules(departments: Iterable[Department], resources: Iterable[Resource], topics: Topics,
                 exchange_group: str) -> list[AccessRule]:
    """Every rule of one namespace, sorted: the catalogue's nodes, the exchange and the API."""
    provided: dict[str, list[str]] = {}
    for resource in resources:
        for department in resource.providers:
            provided.setdefault(department, []).append(resource.id)
    rules = [rule for node in catalogue_nodes(departments)
             for rule in node_rules(node, provided.get(node.department, ()), topics)]
    return sorted(set(rules + exchange_rules(topics, exchange_group) + api_rules(topics)))
