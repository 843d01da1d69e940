"""Every error is JSON: `{"error": {"code": …, "message": …}}` with the right status.

401 no or unknown key · 403 not this department's to see or do · 404 no such resource,
application, grant or record · 409 not in a state that allows it · 422 malformed or
against the sharing rules.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from exchange.errors import ApiError, DirectoryError, GovxError

HTTP_CODES = {400: "request.bad", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 413: "too_large", 415: "media_type",
              422: "request.invalid"}


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
        headers = {"WWW-Authenticate": 'ApiKey header="X-Api-Key"'} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, headers=headers)

    @app.exception_handler(DirectoryError)
    async def directory_error(request: Request, exc: DirectoryError) -> JSONResponse:
        return error_response(exc.status, exc.code, str(exc))

    @app.exception_handler(GovxError)
    async def govx_error(request: Request, exc: GovxError) -> JSONResponse:
        status = 503 if exc.retriable else 500
        return error_response(status, "service.unavailable" if exc.retriable else "internal", str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid_request(request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        summary = "; ".join(f"{d['location']}: {d['problem']}" for d in details[:5])
        return error_response(422, "request.invalid", f"the request is malformed: {summary}", details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = HTTP_CODES.get(exc.status_code, "http.error")
        return error_response(exc.status_code, code, str(exc.detail), headers=getattr(exc, "headers", None))
