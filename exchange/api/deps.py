"""Request dependencies: the state, and who is calling (by API key)."""

from __future__ import annotations

from fastapi import Request, Security
from fastapi.security import APIKeyHeader

from exchange.api.keys import Keys
from exchange.api.state import ApiState
from exchange.core.directory import Node
from exchange.errors import ApiError

API_KEY = APIKeyHeader(name="X-Api-Key", auto_error=False, description="your department node's API key",
                       scheme_name="department key")


def state(request: Request) -> ApiState:
    found: ApiState = request.app.state.govx
    return found


def caller(request: Request, key: str | None = Security(API_KEY)) -> Node:
    """The department node whose key came with the request; 401 without a known key."""
    if not key:
        raise ApiError(401, "unauthorized", "send your department node's API key in the X-Api-Key header")
    keys: Keys = request.app.state.keys
    node = keys.node_of(key)
    if node is None:
        raise ApiError(401, "unauthorized", "the API key is not known")
    return node
