"""Avro values in the Confluent wire format, and the registry that gives schemas their ids.

A value is byte 0x00, a 4-byte big-endian schema id, then the Avro binary body. Ids are derived
from the schema's Parsing Canonical Form (the first 31 bits of its SHA-256), so every process
computes the same id for the same schema without coordination, across restarts; the registry
refuses two different schemas that would share an id. Library errors are translated where they
enter: `SchemaError` for schemas, the `InvalidEvent` family for values.
"""

from __future__ import annotations

import copy
import hashlib
import io
import struct
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer
from fastavro.schema import to_parsing_canonical_form

from exchange.errors import DecodeError, FramingError, SchemaError, UnknownSchemaError

MAGIC = 0
_PREFIX = struct.Struct(">bI")
PREFIX_SIZE = _PREFIX.size

Record = dict[str, Any]


def schema_id(canonical: str) -> int:
    """The deterministic id of a schema: 31 bits of the SHA-256 of its canonical form, never 0."""
    digest = int.from_bytes(hashlib.sha256(canonical.encode("utf-8")).digest()[:4], "big") & 0x7FFFFFFF
    return digest or 1


def without_logical_types(schema: Any) -> Any:
    """A copy of `schema` whose logical types are replaced by their underlying Avro types."""
    if isinstance(schema, list):
        return [without_logical_types(branch) for branch in schema]
    if not isinstance(schema, dict):
        return schema
    if "logicalType" in schema and schema.get("type") in ("int", "long", "string", "bytes", "fixed"):
        return schema["type"] if schema["type"] != "fixed" else {k: v for k, v in schema.items() if k != "logicalType"}
    stripped = {key: without_logical_types(value) for key, value in schema.items() if key != "fields"}
    if "fields" in schema:
        stripped["fields"] = [
            {**fld, "type": without_logical_types(fld["type"])} for fld in schema["fields"]
        ]
    return stripped


def _parse(schema: Mapping[str, Any]) -> Any:
    try:
        return parse_schema(copy.deepcopy(dict(schema)), named_schemas={})
    except Exception as exc:  # fastavro raises several types for a bad schema
        raise SchemaError(f"invalid Avro schema {schema.get('name', '?')!r}: {exc}") from exc


@dataclass(frozen=True)
class RegisteredSchema:
    """A schema with its id, parsed once for encoding and decoding."""

    id: int
    name: str
    schema: Mapping[str, Any] = field(repr=False)
    canonical: str = field(repr=False)
    parsed: Any = field(repr=False, compare=False)
    raw: Any = field(repr=False, compare=False)

    @classmethod
    def of(cls, schema: Mapping[str, Any], derive_id: Callable[[str], int] | None = None) -> RegisteredSchema:
        parsed = _parse(schema)
        try:
            canonical = to_parsing_canonical_form(dict(schema))
        except Exception as exc:
            raise SchemaError(f"schema {schema.get('name', '?')!r} has no canonical form: {exc}") from exc
        name = str(parsed.get("name", schema.get("name", "")))
        raw = _parse(without_logical_types(schema))
        return cls((derive_id or schema_id)(canonical), name, schema, canonical, parsed, raw)

    def field_names(self) -> tuple[str, ...]:
        return tuple(str(f["name"]) for f in self.schema.get("fields", ()))


class SchemaRegistry:
    """Schemas by deterministic id. `gov.schemas` or a Confluent registry can mirror it."""

    def __init__(self, derive_id: Callable[[str], int] = schema_id) -> None:
        self._derive_id = derive_id
        self._by_id: dict[int, RegisteredSchema] = {}

    def register(self, schema: Mapping[str, Any]) -> RegisteredSchema:
        """Register `schema` (idempotent) and return it with its id."""
        candidate = RegisteredSchema.of(schema, self._derive_id)
        existing = self._by_id.get(candidate.id)
        if existing is not None:
            if existing.canonical != candidate.canonical:
                raise SchemaError(f"schema id {candidate.id} of {candidate.name} collides with {existing.name}")
            return existing
        self._by_id[candidate.id] = candidate
        return candidate

    def get(self, schema_id: int) -> RegisteredSchema:
        try:
            return self._by_id[schema_id]
        except KeyError:
            raise UnknownSchemaError(f"schema id {schema_id} is not registered") from None

    def __iter__(self) -> Iterator[RegisteredSchema]:
        return iter(list(self._by_id.values()))

    def __contains__(self, schema_id: object) -> bool:
        return schema_id in self._by_id


def frame(schema_id: int, body: bytes) -> bytes:
    """Prefix an Avro body with the wire-format magic byte and schema id."""
    return _PREFIX.pack(MAGIC, schema_id) + body


def framed_id(value: bytes | None) -> int:
    """The schema id of a framed value; `FramingError` if it is not in the wire format."""
    if value is None or len(value) < PREFIX_SIZE:
        raise FramingError(f"value has {0 if value is None else len(value)} bytes; the wire format needs at least 5")
    magic, found = _PREFIX.unpack_from(value)
    if magic != MAGIC:
        raise FramingError(f"magic byte is {magic & 0xFF:#04x}, expected 0x00 (Confluent wire format)")
    return int(found)


def encode(schema: RegisteredSchema, record: Mapping[str, Any], *, logical: bool = True) -> bytes:
    """Encode `record` with `schema`, framed; `SchemaError` if it does not fit.

    `logical=False` takes dates and timestamps as the ints Avro stores (as `decode_body` gives).
    """
    buffer = io.BytesIO()
    buffer.write(_PREFIX.pack(MAGIC, schema.id))
    try:
        schemaless_writer(buffer, schema.parsed if logical else schema.raw, record)
    except Exception as exc:  # fastavro raises ValueError, TypeError, KeyError... for a bad datum
        raise SchemaError(f"record does not fit {schema.name}: {type(exc).__name__}: {exc}") from exc
    return buffer.getvalue()


def decode_body(schema: RegisteredSchema, value: bytes, *, logical: bool = True) -> Record:
    """Decode the body of a framed value with its writer schema.

    `logical=False` leaves dates and timestamps as the ints Avro stores, which the exchange's
    hot path never needs converted.
    """
    stream = io.BytesIO(value)
    stream.seek(PREFIX_SIZE)
    try:
        record = schemaless_reader(stream, schema.parsed if logical else schema.raw, None)
    except Exception as exc:  # EOFError, IndexError, UnicodeDecodeError, ValueError...
        raise DecodeError(f"value does not decode as {schema.name}: {type(exc).__name__}: {exc}") from exc
    trailing = len(value) - stream.tell()
    if trailing:
        raise DecodeError(f"value has {trailing} bytes after the {schema.name} record")
    if not isinstance(record, dict):
        raise DecodeError(f"{schema.name} did not decode to a record")
    return record


def decode(registry: SchemaRegistry, value: bytes | None, *, logical: bool = True) -> tuple[RegisteredSchema, Record]:
    """Decode a framed value: its schema and its record."""
    if value is None:
        raise FramingError("the event has no value (a tombstone); the wire format needs a record")
    schema = registry.get(framed_id(value))
    return schema, decode_body(schema, value, logical=logical)
