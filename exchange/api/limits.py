"""Request bounds: the body size limit (413) and the per-key look-up rate (429), both with JSON errors."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from exchange.api.errors import error_response
from exchange.errors import ApiError


class BodyLimit:
    """ASGI middleware: a body over `max_bytes` is answered 413, by its Content-Length or as it streams in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = [value for name, value in scope["headers"] if name == b"content-length"]
        if declared and (not declared[0].isdigit() or int(declared[0]) > self.max_bytes):
            await error_response(413, "too_large", self._message())(scope, receive, send)
            return
        received = 0

        async def limited() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise HTTPException(413, self._message())
            return message

        await self.app(scope, limited, send)

    def _message(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes (GOVX_API_MAX_BODY_BYTES)"


class RateLimit:
    """A token bucket per API key: `per_minute` look-ups, refilled evenly; thread-safe."""

    def __init__(self, per_minute: int, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self._clock = per_minute, clock
        self._buckets: dict[Any, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, who: Any) -> None:
        """Spend one look-up of `who`; `ApiError(429)` with `Retry-After` when none is left."""
        now, rate = self._clock(), self.per_minute / 60.0
        with self._lock:
            tokens, then = self._buckets.get(who, (float(self.per_minute), now))
            tokens = min(float(self.per_minute), tokens + (now - then) * rate)
            if tokens < 1.0:
                self._buckets[who] = (tokens, now)
                wait = max(1, math.ceil((1.0 - tokens) / rate))
                raise ApiError(429, "rate_limited", f"at most {self.per_minute} look-ups a minute per key "
                               f"(GOVX_API_LOOKUPS_PER_MINUTE); try again in {wait} s",
                               headers={"Retry-After": str(wait)})
            self._buckets[who] = (tokens - 1.0, now)
