"""The shared directory (共享目录): departments, resources, applications and grants.

Pure value objects. The directory is event-sourced: each change is a `DirectoryEvent` carrying
the full new state of one entity, keyed `<kind>/<id>` on the compacted topic `gov.directory`,
so replaying the topic rebuilds the same `DirectoryView` in every process.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from exchange.core.regions import Level, RegionScope
from exchange.errors import InvalidValueError


class SharingType(StrEnum):
    """共享类型: how a resource may be shared (docs/domain.md §1)."""

    UNCONDITIONAL = "unconditional"
    CONDITIONAL = "conditional"
    NONE = "none"


class OpenAttribute(StrEnum):
    """开放属性."""

    OPEN = "open"
    CONDITIONAL = "conditional"
    NOT_OPEN = "not_open"


class UpdateCycle(StrEnum):
    """更新周期."""

    REAL_TIME = "real_time"
    DAILY = "daily"
    WEEKLY = "weekly"
    MONTHLY = "monthly"
    QUARTERLY = "quarterly"
    YEARLY = "yearly"


@dataclass(frozen=True)
class Department:
    """A kind of department (公安, 卫健, …) and the levels at which it exists."""

    code: str
    name: str
    full_name: str
    english: str
    levels: tuple[Level, ...]


@dataclass(frozen=True, order=True)
class Node:
    """A department at one division: the unit that provides, applies, receives and calls the API."""

    division: str
    department: str

    @classmethod
    def parse(cls, text: str) -> Node:
        division, sep, department = text.partition("/")
        if not sep or len(division) != 6 or not division.isdigit() or not department:
            raise InvalidValueError(f"{text!r} is not a department node '<6-digit division>/<department>'")
        return cls(division, department)

    @property
    def id(self) -> str:
        return f"{self.division}/{self.department}"

    def __str__(self) -> str:
        return self.id


@dataclass(frozen=True)
class Resource:
    """An information resource (信息资源) with its catalogue metadata."""

    id: str
    code: str
    name: str
    english: str
    schema: str
    subject: str
    region_field: str
    providers: tuple[str, ...]
    owner_division: str
    classification: tuple[str, ...]
    abstract: str
    format: str
    sharing: SharingType
    conditions: str
    sharing_method: str
    open: OpenAttribute
    update_cycle: UpdateCycle
    related: tuple[str, ...]
    publish_date: date
    definition: Mapping[str, Any] = field(repr=False, compare=False, hash=False)

    @property
    def owner(self) -> Node:
        """The node that keeps the catalogue entry and decides applications: the first provider."""
        return Node(self.owner_division, self.providers[0])


class GrantOrigin(StrEnum):
    """How a grant came about."""

    CATALOGUE = "catalogue"
    SUBSCRIPTION = "subscription"
    APPROVAL = "approval"


@dataclass(frozen=True)
class Grant:
    """What one consumer node may receive of one resource: fields, masks, region, time."""

    id: str
    consumer: Node
    resource: str
    fields: tuple[str, ...]
    masks: tuple[tuple[str, str], ...]
    scope: RegionScope
    valid_from: datetime
    valid_until: datetime
    purpose: str
    origin: GrantOrigin
    application: str | None = None
    revoked_at: datetime | None = None
    revoked_reason: str | None = None

    def mask_of(self, field_name: str) -> str | None:
        return dict(self.masks).get(field_name)

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def revoke(self, at: datetime, reason: str) -> Grant:
        return replace(self, revoked_at=at, revoked_reason=reason)


class ApplicationStatus(StrEnum):
    """The state of a sharing application (共享申请)."""

    PENDING = "pending"
    APPROVED = "approved"
    REFUSED = "refused"


@dataclass(frozen=True)
class Application:
    """A consumer's request for a conditional resource, decided by the provider."""

    id: str
    consumer: Node
    resource: str
    purpose: str
    fields: tuple[str, ...]
    scope: RegionScope
    submitted_at: datetime
    deadline: date
    status: ApplicationStatus = ApplicationStatus.PENDING
    decided_at: datetime | None = None
    decided_by: Node | None = None
    reason: str | None = None
    grant: str | None = None

    def overdue(self, today: date) -> bool:
        return self.status is ApplicationStatus.PENDING and today > self.deadline


Entity = Resource | Grant | Application


@dataclass(frozen=True)
class DirectoryEvent:
    """One change to the directory: what happened, when, and the entity's full new state."""

    type: str
    at: datetime
    entity: Entity

    @property
    def kind(self) -> str:
        return {Resource: "resource", Grant: "grant", Application: "application"}[type(self.entity)]

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.entity.id}"
