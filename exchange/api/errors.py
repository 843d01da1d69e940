"""Every error is JSON: `{"error": {"code": …, "message": …}}` with the right status.

400 malformed request (not JSON, a repeated `X-Api-Key`) · 401 no or unknown key · 403 not this
department's to see or do · 404 no such resource, application, grant or record · 409 not in a
state that allows it, or another decision came first · 413 body too large · 422 malformed or
against the sharing rules · 429 too many look-ups (`Retry-After`) · 503 the directory did not take
a write within the bound (`Retry-After`; nothing changed).
"""

from __future__ import annotations

import logging
import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from exchange.errors import ApiError, DirectoryError, GovxError, WriteUnavailable

log = logging.getLogger(__name__)

HTTP_CODES = {400: "request.bad", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "media_type",
              422: "request.invalid", 429: "rate_limited"}


def error_response(status: int, code: str, message: str, details: list[dict[str, Any]] | None = None,
                   headers: dict[str, str] | None = None) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[dict[str, Any]]:
    return [{"location": ".".join(str(p) for p in err.get("loc", ())), "problem": str(err.get("msg", ""))}
            for err in exc.errors()]


def install(app: FastAPI) -> None:
    """Register the handlers that give every error the same shape."""

    @app.exception_handler(ApiError)
    async def api_error(request: Request, exc: ApiError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'ApiKey header="X-Api-Key"'} if exc.status == 401 else exc.headers
        return error_response(exc.status, exc.code, exc.message, headers=headers)

    @app.exception_handler(WriteUnavailable)
    async def write_unavailable(request: Request, exc: WriteUnavailable) -> JSONResponse:
        retry = str(max(1, math.ceil(request.app.state.govx.limits.write_timeout_s)))
        return error_response(503, exc.code, str(exc), headers={"Retry-After": retry})

    @app.exception_handler(DirectoryError)
    async def directory_error(request: Request, exc: DirectoryError) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc))

    @app.exception_handler(GovxError)
    async def govx_error(request: Request, exc: GovxError) -> JSONResponse:
        status = 503 if exc.retriable else 500
        headers = {"Retry-After": "5"} if exc.retriable else None
        return error_response(status, "service.unavailable" if exc.retriable else "internal", str(exc), headers=headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unexpected error answering %s %s", request.method, request.url.path)
        return error_response(500, "internal", "the API failed on this request; it is logged")

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        summary = "; ".join(f"{d['location']}: {d['problem']}" for d in details[:5])
        return error_response(422, "request.invalid", f"the request is malformed: {summary}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http.error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))
