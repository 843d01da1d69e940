"""The one set of checks every grant and application must pass — at the API's door and on read.

The sharing workflow checks what a request would write, the directory view checks every event it
reads from `<ns>.directory` (whoever wrote it), and the rules compiler compiles only what passes
here: one validator, so an event the API would refuse is refused by every reader too, with the
same message. Each failure is a `DirectoryError` whose `code` names the rule (`grant.fields`,
`grant.mask`, `node.division`, …); the API answers it as a 4xx, a reader dead-letters the event.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from exchange.core import regions
from exchange.core.directory import Department, Grant, Node, Resource
from exchange.core.masking import DROP, POLICIES
from exchange.core.views import mask_function
from exchange.errors import DirectoryError, SchemaError


def field_definitions(resource: Resource) -> dict[str, Mapping[str, Any]]:
    """The resource's data items by name, from its schema."""
    return {str(f["name"]): f for f in resource.definition["fields"]}


def check_node(node: Node, departments: Mapping[str, Department]) -> None:
    """The node's division is in the province's table, and its department exists at that level."""
    if not regions.is_known(node.division):
        raise DirectoryError(f"{node} names division {node.division}, which is not a division of the province",
                             code="node.division")
    department = departments.get(node.department)
    if departments and department is None:
        raise DirectoryError(f"{node} names no known department; known: {', '.join(sorted(departments))}",
                             code="node.department")
    if department is not None and regions.level_of(node.division) not in department.levels:
        raise DirectoryError(f"{node.department} does not exist at division {node.division}", code="node.department")


def check_fields(resource: Resource, fields: Iterable[str]) -> None:
    """A non-empty list of the resource's fields (or `*`) that includes the subject field."""
    names = list(fields)
    if not names:
        raise DirectoryError("the fields must name at least one field (or \"*\" for all)", code="field.empty")
    if names == ["*"]:
        return
    known = field_definitions(resource)
    unknown = [name for name in names if name not in known]
    if unknown:
        raise DirectoryError(f"{resource.id} has no field(s) {', '.join(unknown)}", code="field.unknown")
    if len(set(names)) != len(names):
        raise DirectoryError("a field is named twice", code="field.duplicate")
    if resource.subject not in names:
        raise DirectoryError(f"the fields must include the subject field {resource.subject}", code="field.subject")


def granted(resource: Resource, fields: Iterable[str]) -> set[str]:
    names = tuple(fields)
    return set(field_definitions(resource)) if names == ("*",) else set(names)


def check_masks(resource: Resource, fields: Iterable[str], masks: Iterable[tuple[str, str]]) -> None:
    """Each mask names a granted field and a policy that fits the field's type; the subject is never dropped."""
    kept, definitions = granted(resource, fields), field_definitions(resource)
    for name, policy in masks:
        if name not in kept:
            raise DirectoryError(f"masked field {name} is not granted", code="grant.mask")
        if policy not in POLICIES or (name == resource.subject and policy == DROP):
            raise DirectoryError(f"{policy!r} is not a masking policy for {name}; known: {', '.join(POLICIES)}",
                                 code="grant.mask")
        try:
            mask_function(definitions[name], policy)
        except SchemaError as exc:
            raise DirectoryError(f"{exc}; choose a policy that fits the field's type", code="grant.mask") from exc


def check_window(valid_from: datetime, valid_until: datetime, max_days: int | None = None) -> None:
    """A validity window with time zones, that ends after it starts and (at the door) within `max_days`."""
    if valid_from.tzinfo is None or valid_until.tzinfo is None:
        raise DirectoryError("a grant's validity window needs time zones", code="grant.window")
    if valid_until <= valid_from:
        raise DirectoryError("valid_until must lie after valid_from", code="grant.window")
    if max_days is not None and valid_until - valid_from > timedelta(days=max_days):
        raise DirectoryError(f"a grant may last at most {max_days} days; ask again before it ends",
                             code="grant.window")


def check_grant(grant: Grant, resource: Resource, departments: Mapping[str, Department], *,
                max_days: int | None = None) -> None:
    """Everything one grant must satisfy to be compiled into routes."""
    if grant.resource != resource.id:
        raise DirectoryError(f"grant {grant.id} is for {grant.resource}, not {resource.id}", code="grant.resource")
    if grant.version < 1:
        raise DirectoryError("an entity's version starts at 1", code="entity.version")
    check_node(grant.consumer, departments)
    check_fields(resource, grant.fields)
    check_masks(resource, grant.fields, grant.masks)
    check_window(grant.valid_from, grant.valid_until, max_days)


def duplicate_of(grant: Grant, others: Iterable[Grant]) -> Grant | None:
    """Another grant not revoked, of the same consumer and resource, whose window overlaps `grant`'s."""
    for other in others:
        if (other.id != grant.id and not other.revoked and other.consumer == grant.consumer
                and other.resource == grant.resource and other.valid_until > grant.valid_from):
            return other
    return None
