"""The FastAPI application: routes, the error shape, `/health`, `/metrics`, request metrics."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from exchange import __version__
from exchange.api import catalogue, errors, records, sharing_routes
from exchange.api.keys import Keys
from exchange.api.limits import BodyLimit
from exchange.api.models import HealthOut
from exchange.api.state import ApiState

DESCRIPTION = """The shared directory (共享目录) and record lookup of the govx exchange.

Every department node calls with its own API key (`X-Api-Key`). It sees the whole catalogue,
only its own applications and grants, decides only applications for the resources it keeps, and
looks up only what its grants allow — projected and masked exactly as they say. Every error is
`{"error": {"code", "message"}}`: 400 malformed (or a repeated `X-Api-Key`), 401 no or unknown
key, 403 not yours, 404 unknown, 409 wrong state or another decision came first, 413 body too large,
422 malformed or against the sharing rules, 429 too many look-ups, 503 the directory did not take
a write within the bound — nothing changed, retry after `Retry-After` seconds.
"""
STALE_AFTER_S = 15.0


def create_app(state: ApiState, keys: Keys, *, follows_broker: bool = False) -> FastAPI:
    """The API over `state`; `follows_broker`: its state is fed from a cluster (so it can go stale)."""
    app = FastAPI(title="govx directory API", version=__version__, description=DESCRIPTION)
    app.state.govx, app.state.keys = state, keys
    app.add_middleware(BodyLimit, max_bytes=state.limits.max_body_bytes)
    errors.install(app)
    for router in (catalogue.router, sharing_routes.router, records.router):
        app.include_router(router)
    _count_requests(app, state)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> Response:
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["operations"], summary="Broker reachable and directory fresh? (from cached state)",
             responses={503: {"model": HealthOut}})
    def health(response: Response) -> HealthOut:
        broker_error = state.freshness.broker_error  # the feeds record it; /health never waits for the broker
        age = state.directory_age_s()
        fresh = not follows_broker or (age is not None and age < STALE_AFTER_S)
        ok = broker_error is None and fresh
        response.status_code = 200 if ok else 503
        return HealthOut(status="ok" if ok else "degraded",
                         broker="ok" if broker_error is None else f"unreachable: {broker_error}",
                         directory={"events_applied": state.view.events_applied, "fresh": fresh,
                                    "seconds_since_read": None if age is None else round(age, 3),
                                    "resources": len(state.view.resources), "grants": len(state.view.grants)},
                         records={"stored": len(state.store), "applied": state.store.applied,
                                  "refused": state.store.refused})

    return app


def _count_requests(app: FastAPI, state: ApiState) -> None:
    @app.middleware("http")
    async def measure(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        started = time.perf_counter()
        status = 500
        try:
            response = await call_next(request)
            status = response.status_code
            return response
        finally:  # an unhandled exception is a 500 too, and counted as one
            template = getattr(request.scope.get("route"), "path", "unmatched")
            state.metrics.api_requests.labels(template, f"{status // 100}xx").inc()
            state.metrics.api_latency.labels(template).observe(time.perf_counter() - started)
