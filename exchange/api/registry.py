"""A Confluent-compatible schema registry over the exchange's own schemas and ids (`govx registry`).

The subset that standard serializers and deserializers call (Confluent's `AvroSerializer` and
`AvroDeserializer`, Java's `KafkaAvroSerializer`/`KafkaAvroDeserializer`), on the subjects of
`exchange.core.subjects`. Ids are the exchange's, derived from each schema; nothing is assigned
here. Reads are open. Registering (`POST /subjects/{s}/versions`) needs a department node's API
key as HTTP basic auth (`basic.auth.user.info = <division>/<department>:<key>`): it answers the
existing id for the exchange's schema and refuses any other schema with 409 — the exchange would
dead-letter it. Errors carry Confluent's `error_code` (40401 subject not found, 40402 version
not found, 40403 schema not found, 409 incompatible, 42201 invalid schema, 42202 invalid version)
and govx's own `{"error": {"code", "message"}}` side by side.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from exchange import __version__
from exchange.api.keys import Keys
from exchange.api.registry_auth import CODES, RegistryError, authenticate
from exchange.core.codec import RegisteredSchema
from exchange.core.rules import Rules
from exchange.core.subjects import Subject, canonical_of, described, schema_text, subjects_of
from exchange.errors import SchemaError

MEDIA_TYPE = "application/vnd.schemaregistry.v1+json"
COMPATIBILITY = "FULL"  # no change is compatible: the exchange takes exactly its own schema


class RegistrySource(Protocol):
    """What the registry reads: the compiled rules (with their schema registry), under a lock."""

    @property
    def lock(self) -> Any: ...

    @property
    def rules(self) -> Rules: ...


class RegistryResponse(JSONResponse):
    media_type = MEDIA_TYPE


def _error(status: int, error_code: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error_code": error_code, "message": message,
            "error": {"code": CODES.get(error_code, "registry.error"), "message": message}}
    return RegistryResponse(body, status_code=status, headers=headers)


class _Registry:
    """The registry's answers, read from the source under its lock."""

    def __init__(self, source: RegistrySource) -> None:
        self.source = source

    def subjects(self) -> dict[str, Subject]:
        with self.source.lock:
            return subjects_of(self.source.rules.all())

    def subject(self, name: str) -> Subject:
        found = self.subjects().get(name)
        if found is None:
            raise RegistryError(404, 40401, f"Subject '{name}' not found.")
        return found

    def schema(self, text: str) -> RegisteredSchema:
        schema_id = _int(text, 40403, f"Schema {text} not found")
        with self.source.lock:
            registry = self.source.rules.registry
            if schema_id not in registry:
                raise RegistryError(404, 40403, f"Schema {schema_id} not found")
            return registry.get(schema_id)

    def version(self, subject: Subject, text: str) -> int:
        if text in ("latest", "-1"):
            return len(subject.versions)
        number = _int(text, 42202, f"The specified version '{text}' is not a valid version id. Allowed values "
                                   "are between [1, 2^31-1] and the string \"latest\"", status=422)
        if number < 1:
            raise RegistryError(422, 42202, f"The specified version '{text}' is not a valid version id. Allowed "
                                            "values are between [1, 2^31-1] and the string \"latest\"")
        if subject.version(number) is None:
            raise RegistryError(404, 40402, f"Version {number} not found.")
        return number


def _int(text: str, error_code: int, message: str, status: int = 404) -> int:
    try:
        return int(text)
    except ValueError:
        raise RegistryError(status, error_code, message) from None


async def _canonical(request: Request) -> str:
    """The canonical form of the schema in a register/lookup/compatibility body; 42201 when it is none."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError as exc:
        raise RegistryError(422, 42201, f"Invalid schema: the body is not JSON: {exc}") from exc
    if not isinstance(body, dict) or not isinstance(body.get("schema"), str):
        raise RegistryError(422, 42201, "Invalid schema: the body must be {\"schema\": \"<Avro schema as a string>\"}")
    if body.get("schemaType", "AVRO") != "AVRO":
        raise RegistryError(422, 42201, f"Invalid schema: govx holds Avro schemas only, not {body['schemaType']}")
    if body.get("references"):
        raise RegistryError(422, 42201, "Invalid schema: govx schemas are standalone; references are not used")
    try:
        return canonical_of(body["schema"])
    except SchemaError as exc:
        raise RegistryError(422, 42201, f"Invalid schema: {exc}") from exc


def create_registry_app(source: RegistrySource, keys: Keys) -> FastAPI:
    """The registry over `source`; `keys` authenticate the departments that register."""
    app = FastAPI(title="govx schema registry (Confluent-compatible subset)", version=__version__,
                  default_response_class=RegistryResponse)
    registry = _Registry(source)
    _install_errors(app)
    _read_routes(app, registry)
    _write_routes(app, registry, keys)
    return app


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(RegistryError)
    async def refused(request: Request, exc: RegistryError) -> JSONResponse:
        headers = {"WWW-Authenticate": 'Basic realm="govx"'} if exc.status == 401 else None
        return _error(exc.status, exc.error_code, exc.message, headers)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 405:
            return _error(405, 405, f"{request.method} {request.url.path}: govx's subjects follow its catalogue "
                                    "and cannot be changed or deleted here")
        return _error(exc.status_code, exc.status_code, f"{request.url.path}: {exc.detail}")


def _read_routes(app: FastAPI, registry: _Registry) -> None:
    @app.get("/")
    def root() -> dict[str, str]:
        return {}

    @app.get("/schemas/types")
    def types() -> list[str]:
        return ["AVRO"]

    @app.get("/schemas/ids/{schema_id}")
    def by_id(schema_id: str) -> dict[str, Any]:
        return {"schema": schema_text(registry.schema(schema_id))}

    @app.get("/schemas/ids/{schema_id}/schema")
    def raw_by_id(schema_id: str) -> Any:
        return dict(registry.schema(schema_id).schema)

    @app.get("/schemas/ids/{schema_id}/versions")
    def versions_of_id(schema_id: str) -> list[dict[str, Any]]:
        found = registry.schema(schema_id).id
        return [{"subject": s.name, "version": s.number_of(found)}
                for s in registry.subjects().values() if s.number_of(found) is not None]

    @app.get("/schemas/ids/{schema_id}/subjects")
    def subjects_of_id(schema_id: str) -> list[str]:
        return [entry["subject"] for entry in versions_of_id(schema_id)]

    @app.get("/subjects")
    def subjects() -> list[str]:
        return list(registry.subjects())

    @app.get("/subjects/{subject}/versions")
    def versions(subject: str) -> list[int]:
        return list(range(1, len(registry.subject(subject).versions) + 1))

    @app.get("/subjects/{subject}/versions/{version}")
    def version(subject: str, version: str) -> Any:
        found = registry.subject(subject)
        return described(found, registry.version(found, version))

    @app.get("/subjects/{subject}/versions/{version}/schema")
    def raw_version(subject: str, version: str) -> Any:
        found = registry.subject(subject)
        return dict(found.versions[registry.version(found, version) - 1].schema)

    @app.get("/config")
    def config() -> dict[str, str]:
        return {"compatibilityLevel": COMPATIBILITY}

    @app.get("/config/{subject}")
    def subject_config(subject: str) -> dict[str, str]:
        registry.subject(subject)
        return {"compatibilityLevel": COMPATIBILITY}

    @app.get("/mode")
    def mode() -> dict[str, str]:
        return {"mode": "READWRITE"}


def _write_routes(app: FastAPI, registry: _Registry, keys: Keys) -> None:
    @app.post("/subjects/{subject}")
    async def lookup(subject: str, request: Request) -> Any:
        """Is this schema registered under the subject? (A read: no credential needed.)"""
        found = registry.subject(subject)
        match = found.matching(await _canonical(request))
        if match is None:
            raise RegistryError(404, 40403, f"Schema not found: {subject} holds no schema with this canonical form")
        return described(found, match[0])

    @app.post("/subjects/{subject}/versions")
    async def register(subject: str, request: Request) -> Any:
        """Registration: the existing id for the exchange's schema, 409 for anything else."""
        node = authenticate(request.headers.get("authorization"), keys)
        found = registry.subject(subject)
        if found.source and node.department not in found.providers:
            raise RegistryError(403, 40301, f"{node} does not provide {found.resource}; "
                                            f"providers: {', '.join(found.providers)}")
        match = found.matching(await _canonical(request))
        if match is None:
            raise RegistryError(409, 409, _incompatible(found))
        return described(found, match[0])

    @app.post("/compatibility/subjects/{subject}/versions/{version}")
    async def compatibility(subject: str, version: str, request: Request) -> Any:
        found = registry.subject(subject)
        number = registry.version(found, version)
        same = found.versions[number - 1].canonical == await _canonical(request)
        return {"is_compatible": same, "messages": [] if same else [_incompatible(found)]}


def _incompatible(subject: Subject) -> str:
    return (f"Schema being registered is incompatible with an earlier schema for subject \"{subject.name}\": "
            f"govx takes exactly the exchange's schema (GET /subjects/{subject.name}/versions/latest); any other "
            "schema would be dead-lettered (schema.unknown)")
