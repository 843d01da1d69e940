"""Record lookup: the latest state of a record, projected and masked exactly as the caller's grant says.

The same path as a delivery: the resource's compiled rules pick the caller's route (grant,
region scope, validity window) and its view renders the stored bytes; only then is the result
decoded — with the view's schema — into JSON.

No look-up is an oracle: a record that does not exist and one outside the caller's region scope get
the same 404 with the same body; the refusals that do not depend on the key (no grant, an expired
grant, a grant that masks the subject) are 403 whatever the key. A grant that masks the subject
allows no look-up by the raw subject. Look-ups are rate-limited per key (429, `Retry-After`), and
each one answered leaves a usage record on `<ns>.audit`, as a delivery does.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path

from exchange.api.deps import caller, state
from exchange.api.models import ErrorOut, RecordOut
from exchange.api.state import ApiState
from exchange.api.store import Stored
from exchange.core.codec import decode
from exchange.core.directory import Node
from exchange.core.rules import ResourceRules, Route
from exchange.errors import ApiError

router = APIRouter(prefix="/v1", tags=["records"], responses={
    401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
REFUSALS = {"no_grant": "holds no grant on", "not_shared": "cannot be granted (不予共享)",
            "expired": "holds only an expired grant on", "not_yet_valid": "holds a grant not yet valid on"}


def _json_ready(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, list):
        return [_json_ready(item) for item in value]
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    return value


def lookup_record(stored: Stored, route: Route, who: Node, at: datetime) -> bytes:
    """The usage record (JSON) of one look-up: shaped like a delivering event's, its one entry in `usages`."""
    head = {"event_id": stored.event_id, "event_time": stored.event_time, "delivered_at": at.isoformat(),
            "channel": "lookup", "caller": who.id}
    return (json.dumps(head, ensure_ascii=False, sort_keys=True)[:-1] + ',"usages":[{').encode() + route.audit + b"}]}"


def _absent(resource_id: str, key: str) -> ApiError:
    """The one answer for a record that does not exist and one the caller's grant does not cover: alike."""
    return ApiError(404, "not_found", f"no {resource_id} record with key {key!r} within your grant")


def _route_for(rules: ResourceRules, who: Node, now_ms: int) -> list[Route]:
    """The caller's routes valid now, or the key-independent refusal (no grant, expired, masked subject)."""
    valid = rules.routes_of(who, now_ms)
    if isinstance(valid, str):
        raise ApiError(403, "forbidden", f"{who} {REFUSALS[valid]} {rules.resource.id}")
    if all(route.subject_mask is not None for route in valid):
        raise ApiError(403, "lookup.masked_subject",
                       f"your grant on {rules.resource.id} masks the subject field {rules.resource.subject}: "
                       "look-ups by the raw subject are not allowed; receive the records in your inbox instead")
    return [route for route in valid if route.subject_mask is None]


@router.get("/records/{resource_id}/{key}", summary="Look a record up by resource and key, as your grant allows",
            responses={429: {"model": ErrorOut, "description": "too many look-ups: retry after Retry-After s"},
                       503: {"model": ErrorOut, "description": "the usage record cannot be written now"}})
def lookup(resource_id: str = Path(max_length=64), key: str = Path(min_length=1, max_length=64),
           who: Node = Depends(caller), current: ApiState = Depends(state)) -> RecordOut:
    current.lookups.take(who)
    with current.lock:
        rules = current.rules.get(resource_id)
    if rules is None:
        raise ApiError(404, "not_found", f"no resource {resource_id!r} in the directory")
    now = current.clock()
    routes = _route_for(rules, who, int(now.timestamp() * 1000))
    stored = current.store.get(resource_id, key)
    route = None if stored is None else next((r for r in routes if r.covers(stored.region)), None)
    if stored is None or route is None:
        raise _absent(resource_id, key)
    view_bytes = stored.value if route.view.schema is None else route.view.render(stored.value, stored.bounds)
    schema, record = decode(current.rules.registry, view_bytes)
    current.usage(key.encode(), lookup_record(stored, route, who, now))
    return RecordOut(resource=resource_id, key=key, grant=route.grant, schema_id=schema.id, region=stored.region,
                     event_id=stored.event_id, event_time=stored.event_time, record=_json_ready(record))
