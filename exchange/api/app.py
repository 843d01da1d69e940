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
from exchange.api.models import HealthOut
from exchange.api.state import ApiState

DESCRIPTION = """The shared directory (共享目录) and record lookup of the govx exchange.

Every department node calls with its own API key (`X-Api-Key`). It sees the whole catalogue,
only its own applications and grants, decides only applications for the resources it keeps, and
looks up only what its grants allow — projected and masked exactly as they say. Every error is
`{"error": {"code", "message"}}`: 401 no or unknown key, 403 not yours, 404 unknown, 409 wrong
state, 422 malformed or against the sharing rules.
"""
STALE_AFTER_S = 15.0


def create_app(state: ApiState, keys: Keys, *, ping: Callable[[], bool] | None = None) -> FastAPI:
    """The API over `state`; `ping` says whether the broker answers (None: no broker in use)."""
    app = FastAPI(title="govx directory API", version=__version__, description=DESCRIPTION)
    app.state.govx, app.state.keys = state, keys
    errors.install(app)
    for router in (catalogue.router, sharing_routes.router, records.router):
        app.include_router(router)
    _count_requests(app, state)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=PlainTextResponse)
    def metrics() -> Response:
        return Response(generate_latest(state.metrics.registry), media_type=CONTENT_TYPE_LATEST)

    @app.get("/health", tags=["operations"], summary="Broker reachable and directory fresh?",
             responses={503: {"model": HealthOut}})
    def health(response: Response) -> HealthOut:
        broker_ok = state.freshness.broker_error is None and (ping is None or ping())
        age = state.directory_age_s()
        fresh = ping is None or (age is not None and age < STALE_AFTER_S)
        response.status_code = 200 if broker_ok and fresh else 503
        return HealthOut(status="ok" if broker_ok and fresh else "degraded",
                         broker="ok" if broker_ok else f"unreachable: {state.freshness.broker_error or 'no answer'}",
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
