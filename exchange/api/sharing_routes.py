"""Sharing routes: apply, approve, refuse, subscribe, list and revoke — each decision a directory event.

A decision is checked against this process's view under the state lock, written with no lock held,
and answered once the log has decided it (`ApiState.submit`): 409 when another decision on the same
version came first, 503 when the broker did not take it within the bound.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Response

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
from exchange.api.state import ApiState, conflict_message
from exchange.core.catalogue import end_of_day
from exchange.core.directory import Application, ApplicationStatus, DirectoryEvent, Grant, Node
from exchange.core.sharing import Decision, Request, as_public
from exchange.errors import ApiError

router = APIRouter(prefix="/v1", tags=["sharing"], responses={
    400: {"model": ErrorOut, "description": "the body is not JSON"},
    401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 409: {"model": ErrorOut},
    422: {"model": ErrorOut}, 503: {"model": ErrorOut, "description": "the directory did not take the write "
                                    "within the bound: nothing changed; retry after Retry-After seconds"}})
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


def _decided(current: ApiState, event: DirectoryEvent) -> None:
    """Write the decision (no lock held) and turn a verdict other than `applied` into its 4xx."""
    verdict = current.submit(event)
    if verdict.outcome != "applied":
        raise conflict_message(verdict)


@router.post("/applications", status_code=201, summary="Apply for a conditional resource (共享申请)")
def apply(body: ApplicationIn, who: Node = Depends(caller), current: ApiState = Depends(state)) -> ApplicationOut:
    with current.lock:
        [event] = current.sharing.apply(who, Request(body.resource, tuple(body.fields), body.scope, body.purpose))
    _decided(current, event)
    with current.lock:
        return application_out(current.view.application(event.entity.id), current.clock().date())


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
    decision = Decision(None if body.fields is None else tuple(body.fields), body.scope,
                        tuple(sorted(body.masks.items())), until)
    with current.lock:
        _visible_application(current, who, application_id)
        [event] = current.sharing.approve(who, application_id, decision, until)
    _decided(current, event)
    with current.lock:
        application = current.view.application(application_id)
        return DecisionOut(application=application_out(application, now.date()),
                           grant=grant_out(current.view.grant(application.grant or ""), now))


@router.post("/applications/{application_id}/refuse", summary="Refuse, with the reason (mandatory)")
def refuse(body: ReasonIn, application_id: EntityId, who: Node = Depends(caller),
           current: ApiState = Depends(state)) -> DecisionOut:
    with current.lock:
        _visible_application(current, who, application_id)
        [event] = current.sharing.refuse(who, application_id, body.reason)
    _decided(current, event)
    with current.lock:
        return DecisionOut(application=application_out(current.view.application(application_id),
                                                        current.clock().date()), grant=None)


@router.post("/subscriptions", status_code=201, summary="Subscribe to an unconditional resource (no approval)",
             responses={200: {"model": GrantOut, "description": "you hold an active grant on it already: that one"}})
def subscribe(body: SubscriptionIn, response: Response, who: Node = Depends(caller),
              current: ApiState = Depends(state)) -> GrantOut:
    now = current.clock()
    request = Request(body.resource, tuple(body.fields), body.scope, body.purpose)
    with current.lock:
        held = current.sharing.existing_grant(who, body.resource)
        if held is None:
            [event] = current.sharing.subscribe(who, request, now + timedelta(days=current.grant_days))
    if held is None:
        verdict = current.submit(event)
        if verdict.outcome == "applied":
            with current.lock:
                return grant_out(current.view.grant(event.entity.id), now)
        with current.lock:  # another request of the same consumer came first: that grant is the answer
            held = current.sharing.existing_grant(who, body.resource)
        if held is None:
            raise conflict_message(verdict)
    response.status_code = 200
    return grant_out(held, now)


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
        [event] = current.sharing.revoke(who, grant_id, body.reason)
    _decided(current, event)
    with current.lock:
        return grant_out(current.view.grant(grant_id), current.clock())
