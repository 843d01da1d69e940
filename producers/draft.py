"""`Draft`: a record about to be published, with the department, key and region it goes out with."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Draft:
    """A record about to be published: which resource, which department publishes it, about whom."""

    resource: str  # resource id, e.g. "death_certificate"
    department: str  # the publishing department; one of the resource's providers
    record: dict[str, Any]  # valid for the resource's schema; dates as date, timestamps as aware datetime
    key: str  # the subject identifier == record[resource.subject]
    region: str  # the subject's division == record[resource.region_field]
    action: str = "created"  # "created" | "updated" | "deleted"
    after_s: float = 0.0  # delay after the chain's root (0 for the root; follow-ups > 0, increasing)
