"""Sharing routes: apply, approve, refuse, subscribe, list and revoke — each decision a directory event."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query

from exchange.api.deps import caller, state
from exchange.api.models import (
    ApplicationIn,
    ApplicationOut,
    ApprovalIn,
    DecisionOut,
    ErrorOut,
    GrantOut,
    ReasonIn,
    SubscriptionIn,
)
from exchange.api.state import ApiState
from exchange.core.catalogue import end_of_day
from exchange.core.directory import Application, ApplicationStatus, Grant, Node
from exchange.core.sharing import Decision, Request, as_public
from exchange.errors import ApiError

router = APIRouter(prefix="/v1", tags=["sharing"], responses={
    400: {"model": ErrorOut, "description": "the body is not JSON"},
    401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut},
    422: {"model": ErrorOut}})
EntityId = Annotated[str, Path(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_@.-]+$")]


def application_out(application: Application, today: date) -> ApplicationOut:
    return ApplicationOut(**as_public(application), overdue=application.overdue(today))


def grant_out(grant: Grant, now: datetime) -> GrantOut:
    data = as_public(grant)
    data["masks"] = dict(grant.masks)
    active = not grant.revoked and grant.valid_from <= now <= grant.valid_until
    return GrantOut(**data, active=active)


def _visible_application(current: ApiState, who: Node, application_id: str) -> Application:
    application = current.view.applications.get(application_id)
    if application is None:
        raise ApiError(404, "not_found", f"no application {application_id!r}")
    if who not in (application.consumer, current.view.resource(application.resource).owner):
        raise ApiError(403, "forbidden", f"application {application_id} is neither yours nor for your resource")
    return application


@router.post("/applications", status_code=201, summary="Apply for a conditional resource (共享申请)")
def apply(body: ApplicationIn, who: Node = Depends(caller), current: ApiState = Depends(state)) -> ApplicationOut:
    with current.lock:
        events = current.sharing.apply(who, Request(body.resource, tuple(body.fields), body.scope, body.purpose))
        current.submit(events)
        return application_out(current.view.application(events[0].entity.id), current.clock().date())


@router.get("/applications", summary="Your applications, or the applications for your resources")
def list_applications(
    role: Literal["consumer", "provider"] = Query("consumer", description="consumer: yours; provider: yours to decide"),
    status: ApplicationStatus | None = Query(None), overdue: bool | None = Query(None),
    who: Node = Depends(caller), current: ApiState = Depends(state),
) -> list[ApplicationOut]:
    today = current.clock().date()
    with current.lock:
        mine = [a for a in current.view.applications.values()
                if (a.consumer if role == "consumer" else current.view.resource(a.resource).owner) == who]
    chosen = [a for a in mine
              if (status is None or a.status is status) and (overdue is None or a.overdue(today) == overdue)]
    return [application_out(a, today) for a in sorted(chosen, key=lambda a: a.submitted_at)]


@router.get("/applications/{application_id}", summary="One application you made or must decide")
def get_application(application_id: EntityId, who: Node = Depends(caller),
                    current: ApiState = Depends(state)) -> ApplicationOut:
    with current.lock:
        return application_out(_visible_application(current, who, application_id), current.clock().date())


@router.post("/applications/{application_id}/approve", summary="Approve, possibly narrowing fields or region")
def approve(body: ApprovalIn, application_id: EntityId, who: Node = Depends(caller),
            current: ApiState = Depends(state)) -> DecisionOut:
    now = current.clock()
    until = end_of_day(body.valid_until) if body.valid_until else now + timedelta(days=current.grant_days)
    if until <= now:
        raise ApiError(422, "grant.window", "valid_until must lie in the future")
    decision = Decision(tuple(body.fields) if body.fields else None, body.scope, tuple(sorted(body.masks.items())),
                        until)
    with current.lock:
        _visible_application(current, who, application_id)
        events = current.sharing.approve(who, application_id, decision, until)
        current.submit(events)
        return DecisionOut(application=application_out(current.view.application(application_id), now.date()),
                           grant=grant_out(current.view.grant(events[1].entity.id), now))


@router.post("/applications/{application_id}/refuse", summary="Refuse, with the reason (mandatory)")
def refuse(body: ReasonIn, application_id: EntityId, who: Node = Depends(caller),
           current: ApiState = Depends(state)) -> DecisionOut:
    with current.lock:
        _visible_application(current, who, application_id)
        current.submit(current.sharing.refuse(who, application_id, body.reason))
        return DecisionOut(application=application_out(current.view.application(application_id),
                                                        current.clock().date()), grant=None)


@router.post("/subscriptions", status_code=201, summary="Subscribe to an unconditional resource (no approval)")
def subscribe(body: SubscriptionIn, who: Node = Depends(caller), current: ApiState = Depends(state)) -> GrantOut:
    now = current.clock()
    with current.lock:
        events = current.sharing.subscribe(who, Request(body.resource, tuple(body.fields), body.scope, body.purpose),
                                           now + timedelta(days=current.grant_days))
        current.submit(events)
        return grant_out(current.view.grant(events[0].entity.id), now)


@router.get("/grants", summary="Grants you received, or grants on the resources you provide")
def list_grants(role: Literal["received", "given"] = Query("received"), who: Node = Depends(caller),
                current: ApiState = Depends(state)) -> list[GrantOut]:
    now = current.clock()
    with current.lock:
        grants = current.view.grants_received(who) if role == "received" else current.view.grants_given(who)
    return [grant_out(grant, now) for grant in grants]


@router.get("/grants/{grant_id}", summary="One grant you hold or gave")
def get_grant(grant_id: EntityId, who: Node = Depends(caller), current: ApiState = Depends(state)) -> GrantOut:
    with current.lock:
        grant = current.view.grants.get(grant_id)
        if grant is None:
            raise ApiError(404, "not_found", f"no grant {grant_id!r}")
        if who not in (grant.consumer, current.view.resource(grant.resource).owner):
            raise ApiError(403, "forbidden", f"grant {grant_id} is neither yours nor on your resource")
        return grant_out(grant, current.clock())


@router.post("/grants/{grant_id}/revoke", summary="Revoke a grant (provider) or give it up (consumer)")
def revoke(body: ReasonIn, grant_id: EntityId, who: Node = Depends(caller),
           current: ApiState = Depends(state)) -> GrantOut:
    with current.lock:
        if grant_id not in current.view.grants:
            raise ApiError(404, "not_found", f"no grant {grant_id!r}")
        current.submit(current.sharing.revoke(who, grant_id, body.reason))
        return grant_out(current.view.grant(grant_id), current.clock())
