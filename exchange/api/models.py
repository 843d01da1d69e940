"""Request and response bodies of the API, with the examples its OpenAPI document shows."""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator

from exchange.core.directory import SharingType
from exchange.core.regions import RegionScope

T = TypeVar("T")
FIELD_NAME = r"^(\*|[A-Za-z_][A-Za-z0-9_]{0,63})$"
RESOURCE_ID = r"^[a-z][a-z0-9_]{0,63}$"


class Strict(BaseModel):
    """Bodies refuse unknown keys: a typo is an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorBody(Strict):
    code: str = Field(description="stable machine code, e.g. `not_found`, `forbidden`, `sharing.none`")
    message: str = Field(description="what is wrong, for a person")
    details: list[dict[str, Any]] | None = Field(default=None, description="per-field problems of a 422")


class ErrorOut(Strict):
    """Every error answer has this shape."""

    model_config = ConfigDict(json_schema_extra={"examples": [
        {"error": {"code": "forbidden", "message": "only 440000/weijian decides applications for death_certificate"}}]})

    error: ErrorBody


class Page(Strict, Generic[T]):
    items: list[T]
    total: int = Field(ge=0)
    page: int = Field(ge=1)
    size: int = Field(ge=1)


class DataItemOut(Strict):
    name: str
    label: str = Field(description="中文 / English")
    type: str
    sensitivity: str = Field(description="L1 public … L4 highly sensitive")
    identifier: str | None
    optional: bool


class ResourceOut(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "death_certificate", "code": "440000-WEIJIAN-0003", "name": "居民死亡医学证明信息",
        "english": "Death medical certificates", "owner": "440000/weijian", "providers": ["weijian"],
        "sharing": "conditional", "open": "not_open", "update_cycle": "real_time",
        "classification": ["基础信息资源", "人口", "人口变动", "死亡信息"], "publish_date": "2024-01-01"}]})

    id: str
    code: str
    name: str
    english: str
    owner: str = Field(description="the department node that keeps the entry and decides applications")
    providers: list[str]
    sharing: SharingType
    open: str
    update_cycle: str
    classification: list[str]
    publish_date: date


class ResourceDetailOut(ResourceOut):
    abstract: str
    format: str
    conditions: str
    sharing_method: str
    related: list[str]
    subject: str
    region_field: str
    items: list[DataItemOut]
    schema_id: int
    avro_schema: dict[str, Any]


class ApplicationIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "resource": "death_certificate", "purpose": "停发死亡人员养老金 / stop the pensions of the deceased",
        "fields": ["citizen_id", "name", "death_time", "region"], "scope": "own_and_below"}]})

    resource: str = Field(pattern=RESOURCE_ID)
    purpose: str = Field(min_length=4, max_length=500, description="用途: what the data is for")
    fields: list[str] = Field(min_length=1, max_length=100, description='data items wanted, or ["*"]')
    scope: RegionScope = Field(description="own | own_and_below | province")

    @field_validator("fields")
    @classmethod
    def _names(cls, fields: list[str]) -> list[str]:
        return _field_names(fields)

    @field_validator("purpose")
    @classmethod
    def _purpose(cls, purpose: str) -> str:
        if len(purpose.strip()) < 4:
            raise ValueError("the purpose must say what the data is for")
        return purpose.strip()


class SubscriptionIn(ApplicationIn):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "resource": "enterprise_registration", "purpose": "税务登记信息确认 / confirm tax registrations",
        "fields": ["*"], "scope": "own_and_below"}]})


class ApprovalIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "fields": ["citizen_id", "name", "death_time", "region"], "scope": "own",
        "masks": {"name": "name_surname"}, "valid_until": "2027-12-31"}]})

    fields: list[str] | None = Field(default=None, max_length=100, description="narrow the fields (optional)")
    scope: RegionScope | None = Field(default=None, description="narrow the region scope (optional)")
    masks: dict[str, str] = Field(default_factory=dict, max_length=100, description="field → masking policy")
    valid_until: date | None = Field(default=None, description="last day of the grant (default: one year)")

    @field_validator("fields")
    @classmethod
    def _names(cls, fields: list[str] | None) -> list[str] | None:
        return None if fields is None else _field_names(fields)


class ReasonIn(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "申请用途不符合共享条件"}]})

    reason: str = Field(min_length=2, max_length=500, description="why (mandatory)")

    @field_validator("reason")
    @classmethod
    def _reason(cls, reason: str) -> str:
        if len(reason.strip()) < 2:
            raise ValueError("a reason is mandatory")
        return reason.strip()


class RecordOut(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "resource": "death_certificate", "key": "440106195003021236", "grant": "death-to-gongan@440106",
        "schema_id": 1740852212, "region": "440106", "event_id": "0b4a7d0e-3c1f-4b7a-9a57-8f8d1f3c2e11",
        "event_time": "2026-11-21T08:00:00.000Z", "record": {"citizen_id": "440106195003021236", "name": "欧阳建国"}}]})

    resource: str
    key: str
    grant: str
    schema_id: int = Field(description="the schema the record was rendered with (the grant's view schema)")
    region: str
    event_id: str
    event_time: str
    record: dict[str, Any] = Field(description="exactly the granted fields, masked as the grant says")


class HealthOut(Strict):
    status: str = Field(description="ok | degraded")
    broker: str
    directory: dict[str, Any]
    records: dict[str, Any]


def _field_names(fields: list[str]) -> list[str]:
    bad = [f for f in fields if not re.match(FIELD_NAME, f)]
    if bad:
        raise ValueError(f"not field names: {', '.join(bad[:5])}")
    if "*" in fields and len(fields) > 1:
        raise ValueError('"*" stands alone: it means every field')
    if len(set(fields)) != len(fields):
        raise ValueError("a field is named twice")
    return fields


class ApplicationOut(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "app-3f2a9c1d7e4b", "consumer": "440106/renshe", "resource": "death_certificate",
        "purpose": "停发死亡人员养老金", "fields": ["citizen_id", "name", "death_time", "region"], "scope": "own",
        "submitted_at": "2026-11-21T09:00:00+08:00", "deadline": "2026-12-05", "status": "pending",
        "decided_at": None, "decided_by": None, "reason": None, "grant": None, "version": 1, "overdue": False}]})

    id: str
    consumer: str
    resource: str
    purpose: str
    fields: list[str]
    scope: RegionScope
    submitted_at: str
    deadline: date
    status: str
    decided_at: str | None
    decided_by: str | None
    reason: str | None
    grant: str | None
    version: int = Field(ge=1, description="the application's version: each decision adds one")
    overdue: bool


class GrantOut(Strict):
    model_config = ConfigDict(json_schema_extra={"examples": [{
        "id": "grant-9b1c2d3e4f5a", "consumer": "440106/renshe", "resource": "death_certificate",
        "fields": ["citizen_id", "name", "death_time", "region"], "masks": {"name": "name_surname"}, "scope": "own",
        "valid_from": "2026-11-21T09:30:00+08:00", "valid_until": "2027-12-31T23:59:59.999999+08:00",
        "purpose": "停发死亡人员养老金", "origin": "approval", "application": "app-3f2a9c1d7e4b",
        "revoked_at": None, "revoked_reason": None, "version": 1, "active": True}]})

    id: str
    consumer: str
    resource: str
    fields: list[str]
    masks: dict[str, str]
    scope: RegionScope
    valid_from: str
    valid_until: str
    purpose: str
    origin: str
    application: str | None
    revoked_at: str | None
    revoked_reason: str | None
    version: int = Field(ge=1, description="the grant's version: a revocation adds one")
    active: bool


class DecisionOut(Strict):
    application: ApplicationOut
    grant: GrantOut | None


class SchemaOut(Strict):
    id: int
    name: str
    schema_: dict[str, Any] = Field(alias="schema", description="the Avro schema (JSON)")

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
