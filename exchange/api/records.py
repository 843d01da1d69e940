"""Record lookup: the latest state of a record, projected and masked exactly as the caller's grant says.

The same path as a delivery: the resource's compiled rules pick the caller's route (grant,
region scope, validity window) and its view renders the stored bytes; only then is the result
decoded — with the view's schema — into JSON.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from fastapi import APIRouter, Depends, Path

from exchange.api.deps import caller, state
from exchange.api.models import ErrorOut, RecordOut
from exchange.api.state import ApiState
from exchange.core.codec import decode
from exchange.core.directory import Node
from exchange.errors import ApiError

router = APIRouter(prefix="/v1", tags=["records"], responses={
    401: {"model": ErrorOut}, 403: {"model": ErrorOut}, 404: {"model": ErrorOut}, 422: {"model": ErrorOut}})
REFUSALS = {"no_grant": "holds no grant on", "not_shared": "cannot be granted (不予共享)",
            "out_of_scope": "holds no grant covering the region of this record of",
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


@router.get("/records/{resource_id}/{key}", summary="Look a record up by resource and key, as your grant allows")
def lookup(resource_id: str = Path(max_length=64), key: str = Path(min_length=1, max_length=64),
           who: Node = Depends(caller), current: ApiState = Depends(state)) -> RecordOut:
    with current.lock:
        rules = current.rules.get(resource_id)
    if rules is None:
        raise ApiError(404, "not_found", f"no resource {resource_id!r} in the directory")
    stored = current.store.get(resource_id, key)
    now_ms = int(current.clock().timestamp() * 1000)
    route = rules.route_of(who, stored.region if stored else who.division, now_ms)
    if isinstance(route, str):
        raise ApiError(403, "forbidden", f"{who} {REFUSALS.get(route, 'may not see')} {resource_id}")
    if stored is None:
        raise ApiError(404, "not_found", f"no {resource_id} record with key {key!r}")
    view_bytes = stored.value if route.view.schema is None else route.view.render(stored.value, stored.bounds)
    schema, record = decode(current.rules.registry, view_bytes)
    return RecordOut(resource=resource_id, key=key, grant=route.grant, schema_id=schema.id, region=stored.region,
                     event_id=stored.event_id, event_time=stored.event_time, record=_json_ready(record))
