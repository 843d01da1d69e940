"""The state of the directory, rebuilt by applying `DirectoryEvent`s in order.

Every exchange worker and the API hold one; it is what rules are compiled from and what
the API answers from. Pure: the caller feeds it events read from `gov.directory`.
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
from exchange.errors import NotFoundError


class DirectoryView:
    """Resources, grants and applications as of the last event applied."""

    def __init__(self, departments: Mapping[str, Department]) -> None:
        self.departments = dict(departments)
        self.resources: dict[str, Resource] = {}
        self.grants: dict[str, Grant] = {}
        self.applications: dict[str, Application] = {}
        self._grants_by_resource: dict[str, dict[str, Grant]] = {}
        self.events_applied = 0
        self.last_event_at: datetime | None = None

    def apply(self, event: DirectoryEvent) -> str:
        """Apply one event; return the id of the resource whose sharing it may change."""
        entity = event.entity
        if isinstance(entity, Resource):
            self.resources[entity.id] = entity
            affected = entity.id
        elif isinstance(entity, Grant):
            self._replace_grant(entity)
            affected = entity.resource
        else:
            self.applications[entity.id] = entity
            affected = entity.resource
        self.events_applied += 1
        self.last_event_at = event.at
        return affected

    def apply_all(self, events: Iterable[DirectoryEvent]) -> set[str]:
        return {self.apply(event) for event in events}

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
