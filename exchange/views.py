"""Views: what a grant lets a consumer see of a record — projected fields, masked values.

A view whose grant takes every field unmasked is `full`: the exchange forwards the original
bytes. Any other view has its own schema — the granted fields in the resource's order, masked
fields as strings — registered like any schema, so a consumer decodes a delivery by its id.
The exchange and the record lookup both project through `View.project`: one code path.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exchange import masking
from exchange.codec import Record, RegisteredSchema, SchemaRegistry
from exchange.errors import SchemaError

Step = tuple[str, Callable[[Any], Any] | None]


@dataclass(frozen=True)
class ViewSpec:
    """Which fields of a resource a view keeps, and how it masks them."""

    fields: tuple[str, ...]
    masks: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, fields: Sequence[str], masks: Mapping[str, str], order: Sequence[str]) -> ViewSpec:
        """Normalise: `*` means all fields, dropped fields go, fields follow the schema's order."""
        wanted = set(order) if list(fields) == ["*"] else set(fields)
        kept = {name for name in wanted if masks.get(name) != masking.DROP}
        masked = tuple(sorted((n, p) for n, p in masks.items() if n in kept))
        return cls(tuple(name for name in order if name in kept), masked)

    def is_full(self, order: Sequence[str]) -> bool:
        return self.fields == tuple(order) and not self.masks


def _masked_type(original: Any) -> Any:
    optional = isinstance(original, list) and "null" in original
    return ["null", "string"] if optional else "string"


def view_schema(source: Mapping[str, Any], spec: ViewSpec) -> dict[str, Any]:
    """The Avro schema of `spec` over the standalone resource schema `source`."""
    masks = dict(spec.masks)
    fields = []
    for fld in source["fields"]:
        if fld["name"] not in spec.fields:
            continue
        if fld["name"] in masks:
            fld = {**fld, "type": _masked_type(fld["type"]), "masked": masks[fld["name"]],
                   "doc": f"{fld.get('doc', '')} (masked: {masks[fld['name']]})"}
            fld.pop("default", None)
            if isinstance(fld["type"], list):
                fld["default"] = None
        fields.append(copy.deepcopy(fld))
    namespace, _, name = str(source["name"]).rpartition(".")
    return {"type": "record", "name": f"{namespace}.view.{name}", "doc": source.get("doc", ""),
            "fields": _define_named_once(fields, source)}


def _define_named_once(fields: list[dict[str, Any]], source: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Dropping a field may drop the first definition of a named type used later: re-inline it."""
    definitions: dict[str, Any] = {}
    for fld in source["fields"]:
        _collect(fld["type"], definitions)
    seen: set[str] = set()

    def walk(schema: Any) -> Any:
        if isinstance(schema, list):
            return [walk(branch) for branch in schema]
        if isinstance(schema, str):
            if schema not in definitions or schema in seen:
                return schema
            return walk(definitions[schema])
        kind = schema.get("type")
        if kind in ("record", "enum", "fixed"):
            if schema["name"] in seen:
                return schema["name"]
            seen.add(schema["name"])
            if "fields" in schema:
                return {**schema, "fields": [{**f, "type": walk(f["type"])} for f in schema["fields"]]}
        elif kind == "array":
            return {**schema, "items": walk(schema["items"])}
        elif kind == "map":
            return {**schema, "values": walk(schema["values"])}
        return schema

    return [{**fld, "type": walk(fld["type"])} for fld in fields]


def _collect(schema: Any, definitions: dict[str, Any]) -> None:
    if isinstance(schema, list):
        for branch in schema:
            _collect(branch, definitions)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "enum", "fixed"):
            definitions.setdefault(schema["name"], schema)
        for nested in (schema.get("items"), schema.get("values"), *[f["type"] for f in schema.get("fields", ())]):
            if nested is not None:
                _collect(nested, definitions)


def _logical(avro_type: Any) -> str | None:
    if isinstance(avro_type, list):
        return next((_logical(b) for b in avro_type if b != "null"), None)
    return avro_type.get("logicalType") if isinstance(avro_type, dict) else None


def _step(fld: Mapping[str, Any], policy: str | None) -> Step:
    if policy is None:
        return fld["name"], None
    if policy == "date_year":
        logical = _logical(fld["type"])
        if logical == "date":
            return fld["name"], masking.year_of_days
        if logical in ("timestamp-millis", "local-timestamp-millis"):
            return fld["name"], masking.year_of_millis
        raise SchemaError(f"date_year cannot mask {fld['name']}: it is not a date or a timestamp-millis")
    return fld["name"], masking.policy(policy).mask


@dataclass(frozen=True, eq=False)
class View:
    """A registered view: projects and masks decoded records, encodes them with its schema.

    Views compare by identity: the rules share one `View` per distinct spec of a resource, so
    the exchange encodes each distinct view once per event however many routes use it.
    """

    spec: ViewSpec
    schema: RegisteredSchema | None
    steps: tuple[Step, ...] = field(repr=False)

    @property
    def full(self) -> bool:
        return self.schema is None

    def project(self, record: Record) -> Record:
        """The view of a record decoded without logical types (the exchange's hot-path form)."""
        view: Record = {}
        for name, fn in self.steps:
            value = record[name]
            view[name] = value if fn is None or value is None else fn(value)
        return view


def build_view(source: RegisteredSchema, spec: ViewSpec, registry: SchemaRegistry) -> View:
    """Register the view schema of `spec` (unless it is full) and prepare its projection steps."""
    order = source.field_names()
    masks = dict(spec.masks)
    steps = tuple(_step(f, masks.get(f["name"])) for f in source.schema["fields"] if f["name"] in spec.fields)
    if spec.is_full(order):
        return View(spec, None, steps)
    return View(spec, registry.register(view_schema(source.schema, spec)), steps)
