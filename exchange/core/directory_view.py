"""The state of the directory, rebuilt by applying `DirectoryEvent`s in order.

Every exchange worker and the API hold one; it is what rules are compiled from and what
the API answers from. Pure: the caller feeds it events read from `gov.directory`.

Every reader decides alike, in log order (the topic has one partition): an event is applied only
if its entity's version is newer than the one held (else it is `stale`: another decision came
first), and only if it was appended before its `deadline` (else `expired`: the request that wrote
it had given up). An event that breaks the sharing rules (`exchange.core.validation`) raises
`DirectoryError` and changes nothing; the feed dead-letters it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from exchange.core.directory import (
    Application,
    Department,
    DirectoryEvent,
    Grant,
    Node,
    Resource,
)
from exchange.core.validation import check_fields, check_grant, check_node, duplicate_of
from exchange.errors import DirectoryError, NotFoundError

EXPIRED, STALE = "expired", "stale"


class DirectoryView:
    """Resources, grants and applications as of the last event applied."""

    def __init__(self, departments: Mapping[str, Department]) -> None:
        self.departments = dict(departments)
        self.resources: dict[str, Resource] = {}
        self.grants: dict[str, Grant] = {}
        self.applications: dict[str, Application] = {}
        self._grants_by_resource: dict[str, dict[str, Grant]] = {}
        self.events_applied = 0
        self.skipped: dict[str, int] = {}
        self.last_skip: str | None = None
        self.last_event_at: datetime | None = None

    def verdict(self, event: DirectoryEvent, appended_ms: int | None = None) -> str | None:
        """Why `event` would not be applied (`expired`, `stale`), or None; `DirectoryError` if invalid."""
        if event.deadline is not None and appended_ms is not None \
                and appended_ms > int(event.deadline.timestamp() * 1000):
            return EXPIRED
        held = self.current(event.kind, event.entity.id)
        if held is not None and event.entity.version <= held.version:
            return STALE
        self._check(event)
        return None

    def apply(self, event: DirectoryEvent, appended_ms: int | None = None) -> str | None:
        """Apply one event if it is newer; the id of the resource whose sharing it may change, or None
        when it was skipped (counted in `skipped`). `appended_ms`: when the log appended it."""
        reason = self.last_skip = self.verdict(event, appended_ms)
        if reason is not None:
            self.skipped[reason] = self.skipped.get(reason, 0) + 1
            return None
        entity = event.entity
        if isinstance(entity, Resource):
            self.resources[entity.id] = entity
        elif isinstance(entity, Grant):
            self._replace_grant(entity)
        else:
            self.applications[entity.id] = entity
        held = self.grants.get(event.issued.id) if event.issued is not None else None
        if event.issued is not None and (held is None or held.version < event.issued.version):
            self._replace_grant(event.issued)
        self.events_applied += 1
        self.last_event_at = event.at
        return entity.id if isinstance(entity, Resource) else entity.resource

    def apply_all(self, events: Iterable[DirectoryEvent]) -> set[str]:
        return {affected for event in events if (affected := self.apply(event)) is not None}

    def current(self, kind: str, entity_id: str) -> Resource | Grant | Application | None:
        """The entity held under `<kind>/<id>`, or None."""
        if kind == "resource":
            return self.resources.get(entity_id)
        return self.grants.get(entity_id) if kind == "grant" else self.applications.get(entity_id)

    def _check(self, event: DirectoryEvent) -> None:
        entity = event.entity
        if isinstance(entity, Resource):
            return
        resource = self.resources.get(entity.resource)
        if resource is None:
            raise DirectoryError(f"{event.key} names resource {entity.resource!r}, which the directory lacks",
                                 code="resource.unknown")
        if isinstance(entity, Grant):
            self._check_grant(entity, resource)
        else:
            check_node(entity.consumer, self.departments)
            check_fields(resource, entity.fields)
        if event.issued is not None:
            if not isinstance(entity, Application) or entity.grant != event.issued.id \
                    or event.issued.application != entity.id:
                raise DirectoryError(f"{event.key} carries grant {event.issued.id}, which it does not issue",
                                     code="grant.issued")
            self._check_grant(event.issued, resource)

    def _check_grant(self, grant: Grant, resource: Resource) -> None:
        check_grant(grant, resource, self.departments)
        if not grant.revoked:
            other = duplicate_of(grant, self._grants_by_resource.get(grant.resource, {}).values())
            if other is not None:
                raise DirectoryError(f"{grant.consumer} already holds grant {other.id} on {grant.resource}; "
                                     "one active grant per consumer and resource", code="grant.duplicate")

    def _replace_grant(self, grant: Grant) -> None:
        previous = self.grants.get(grant.id)
        if previous is not None and previous.resource != grant.resource:
            self._grants_by_resource.get(previous.resource, {}).pop(grant.id, None)
        self.grants[grant.id] = grant
        self._grants_by_resource.setdefault(grant.resource, {})[grant.id] = grant

    def resource(self, resource_id: str) -> Resource:
        try:
            return self.resources[resource_id]
        except KeyError:
            raise NotFoundError(f"no resource {resource_id!r} in the directory") from None

    def grant(self, grant_id: str) -> Grant:
        try:
            return self.grants[grant_id]
        except KeyError:
            raise NotFoundError(f"no grant {grant_id!r}") from None

    def application(self, application_id: str) -> Application:
        try:
            return self.applications[application_id]
        except KeyError:
            raise NotFoundError(f"no application {application_id!r}") from None

    def grants_on(self, resource_id: str) -> list[Grant]:
        """The grants of a resource that are not revoked, in id order."""
        grants = self._grants_by_resource.get(resource_id, {}).values()
        return sorted((g for g in grants if not g.revoked), key=lambda g: g.id)

    def grants_received(self, node: Node) -> list[Grant]:
        return sorted((g for g in self.grants.values() if g.consumer == node), key=lambda g: g.id)

    def grants_given(self, node: Node) -> list[Grant]:
        """Grants on the resources whose catalogue entry `node` keeps."""
        owned = {r.id for r in self.resources.values() if r.owner == node}
        return sorted((g for g in self.grants.values() if g.resource in owned), key=lambda g: g.id)

    def consumers(self) -> set[Node]:
        """Every node holding a grant that is not revoked."""
        return {g.consumer for g in self.grants.values() if not g.revoked}
