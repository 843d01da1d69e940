"""The sharing workflow (共享申请): apply, approve or refuse, subscribe, revoke — as directory events.

Pure: each request is checked against the directory view and the sharing types of docs/domain.md §1,
and answered with the
`DirectoryEvent`s that record it (the caller publishes them to `<ns>.directory`, where every
exchange worker picks them up). Conditional resources need an approved application; unconditional
ones are subscribed without approval; `none` resources can be neither applied for nor granted.
A provider may narrow what was asked (fewer fields, a smaller region) but never widen it, and must
give a reason to refuse. Deadlines count working days (Monday–Friday; public holidays are not
modelled).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from exchange.core.directory import (
    Application,
    ApplicationStatus,
    DirectoryEvent,
    Grant,
    GrantOrigin,
    Node,
    Resource,
    SharingType,
)
from exchange.core.directory_codec import plain
from exchange.core.directory_view import DirectoryView
from exchange.core.masking import POLICIES
from exchange.core.regions import RegionScope
from exchange.errors import ConflictError, DirectoryError, ForbiddenError

SCOPE_SIZE = {RegionScope.OWN: 0, RegionScope.OWN_AND_BELOW: 1, RegionScope.PROVINCE: 2}


def add_working_days(start: date, days: int) -> date:
    """The date `days` working days (Monday–Friday) after `start`."""
    current, left = start, days
    while left > 0:
        current += timedelta(days=1)
        if current.weekday() < 5:
            left -= 1
    return current


@dataclass(frozen=True)
class Request:
    """What a consumer asks for: fields (or ["*"]), a region scope, a purpose."""

    resource: str
    fields: tuple[str, ...]
    scope: RegionScope
    purpose: str = ""


@dataclass(frozen=True)
class Decision:
    """What a provider grants: at most what was asked."""

    fields: tuple[str, ...] | None = None
    scope: RegionScope | None = None
    masks: tuple[tuple[str, str], ...] = ()
    valid_until: datetime | None = None


class Sharing:
    """Answers sharing requests with directory events; `clock` and `new_id` are passed in."""

    def __init__(self, view: DirectoryView, *, clock: Callable[[], datetime], deadline_days: int = 10,
                 new_id: Callable[[str], str] = lambda prefix: f"{prefix}-{uuid.uuid4().hex[:12]}") -> None:
        self.view = view
        self._clock = clock
        self._deadline_days = deadline_days
        self._new_id = new_id

    def apply(self, consumer: Node, request: Request) -> list[DirectoryEvent]:
        """A consumer applies for a conditional resource."""
        resource = self._shareable(consumer, request)
        if resource.sharing is SharingType.UNCONDITIONAL:
            raise ConflictError(f"{resource.id} is shared unconditionally: subscribe instead of applying")
        now = self._clock()
        application = Application(self._new_id("app"), consumer, resource.id, request.purpose, request.fields,
                                  request.scope, now, add_working_days(now.date(), self._deadline_days))
        return [DirectoryEvent("application.submitted", now, application)]

    def subscribe(self, consumer: Node, request: Request, valid_until: datetime) -> list[DirectoryEvent]:
        """A consumer subscribes to an unconditional resource: granted at once."""
        resource = self._shareable(consumer, request)
        if resource.sharing is SharingType.CONDITIONAL:
            raise ConflictError(f"{resource.id} is shared on conditions: apply, and wait for the provider's approval")
        now = self._clock()
        grant = Grant(self._new_id("sub"), consumer, resource.id, request.fields, (), request.scope, now,
                      valid_until, request.purpose, GrantOrigin.SUBSCRIPTION)
        return [DirectoryEvent("grant.issued", now, grant)]

    def approve(self, provider: Node, application_id: str, decision: Decision,
                default_valid_until: datetime) -> list[DirectoryEvent]:
        """The provider approves, possibly narrowing fields and scope, and a grant is issued."""
        application = self._pending_for(provider, application_id)
        resource = self.view.resource(application.resource)
        fields = self._narrowed_fields(resource, application, decision.fields)
        scope = decision.scope or application.scope
        if SCOPE_SIZE[scope] > SCOPE_SIZE[application.scope]:
            raise DirectoryError(f"the approval may narrow the region scope, not widen it beyond {application.scope}")
        self._check_masks(resource, fields, decision.masks)
        now = self._clock()
        grant = Grant(self._new_id("grant"), application.consumer, resource.id, fields, decision.masks, scope, now,
                      decision.valid_until or default_valid_until, application.purpose, GrantOrigin.APPROVAL,
                      application=application.id)
        decided = replace(application, status=ApplicationStatus.APPROVED, decided_at=now, decided_by=provider,
                          grant=grant.id)
        return [DirectoryEvent("application.approved", now, decided), DirectoryEvent("grant.issued", now, grant)]

    def refuse(self, provider: Node, application_id: str, reason: str) -> list[DirectoryEvent]:
        """The provider refuses, and must say why."""
        if not reason.strip():
            raise DirectoryError("a refusal must give its reason")
        application = self._pending_for(provider, application_id)
        now = self._clock()
        decided = replace(application, status=ApplicationStatus.REFUSED, decided_at=now, decided_by=provider,
                          reason=reason.strip())
        return [DirectoryEvent("application.refused", now, decided)]

    def revoke(self, caller: Node, grant_id: str, reason: str) -> list[DirectoryEvent]:
        """The provider withdraws a grant, or the consumer gives it up."""
        grant = self.view.grant(grant_id)
        if caller not in (grant.consumer, self.view.resource(grant.resource).owner):
            raise ForbiddenError(f"{caller} neither holds nor provides grant {grant_id}")
        if grant.revoked:
            raise ConflictError(f"grant {grant_id} was revoked already")
        now = self._clock()
        return [DirectoryEvent("grant.revoked", now, grant.revoke(now, reason.strip() or "revoked"))]

    def _shareable(self, consumer: Node, request: Request) -> Resource:
        resource = self.view.resource(request.resource)
        if resource.sharing is SharingType.NONE:
            raise DirectoryError(f"{resource.id} is not shared (不予共享): it cannot be applied or subscribed for",
                                 code="sharing.none")
        if consumer.department in resource.providers:
            raise ConflictError(f"{consumer.department} provides {resource.id} itself and needs no grant")
        _check_fields(resource, request.fields)
        return resource

    def _pending_for(self, provider: Node, application_id: str) -> Application:
        application = self.view.application(application_id)
        if self.view.resource(application.resource).owner != provider:
            raise ForbiddenError(f"only {self.view.resource(application.resource).owner} decides applications "
                                 f"for {application.resource}")
        if application.status is not ApplicationStatus.PENDING:
            raise ConflictError(f"application {application_id} was {application.status.value} already")
        return application

    def _narrowed_fields(self, resource: Resource, application: Application,
                         fields: Sequence[str] | None) -> tuple[str, ...]:
        if fields is None:
            return application.fields
        asked = set(_all_fields(resource)) if application.fields == ("*",) else set(application.fields)
        wider = set(fields) - asked - {"*"} if list(fields) != ["*"] else set(_all_fields(resource)) - asked
        if wider:
            raise DirectoryError(f"the approval may narrow the fields, not add {', '.join(sorted(wider))}")
        _check_fields(resource, tuple(fields))
        return tuple(fields)

    @staticmethod
    def _check_masks(resource: Resource, fields: tuple[str, ...], masks: tuple[tuple[str, str], ...]) -> None:
        granted = set(_all_fields(resource)) if fields == ("*",) else set(fields)
        for name, policy in masks:
            if name not in granted:
                raise DirectoryError(f"masked field {name} is not granted")
            if policy not in POLICIES or (name == resource.subject and policy == "drop"):
                raise DirectoryError(f"{policy!r} is not a masking policy for {name}; known: {', '.join(POLICIES)}")


def _all_fields(resource: Resource) -> list[str]:
    return [str(f["name"]) for f in resource.definition["fields"]]


def _check_fields(resource: Resource, fields: tuple[str, ...]) -> None:
    if list(fields) == ["*"]:
        return
    known = set(_all_fields(resource))
    unknown = [name for name in fields if name not in known]
    if unknown:
        raise DirectoryError(f"{resource.id} has no field(s) {', '.join(unknown)}", code="field.unknown")
    if resource.subject not in fields:
        raise DirectoryError(f"the fields must include the subject field {resource.subject}", code="field.subject")


def as_public(entity: Any) -> dict[str, Any]:
    """An entity as JSON-ready data, the same shape as on the directory topic."""
    return {name: plain(getattr(entity, name)) for name in entity.__dataclass_fields__ if name != "definition"}


def overdue(view: DirectoryView, today: date) -> list[Application]:
    return [a for a in view.applications.values() if a.overdue(today)]


def pending(view: DirectoryView) -> list[Application]:
    return [a for a in view.applications.values() if a.status is ApplicationStatus.PENDING]
