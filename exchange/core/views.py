"""Views: what a grant lets a consumer see of a record — projected fields, masked values.

A view whose grant takes every field unmasked is `full`: the exchange forwards the original
bytes. Any other view has its own schema — the granted fields in the resource's order, masked
fields as strings — registered like any schema, so a consumer decodes a delivery by its id.
The exchange and the record lookup both render views through `View.render`: one code path,
which joins the original bytes of the granted fields and re-encodes only the masked ones.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from exchange.core import masking
from exchange.core.codec import RegisteredSchema, SchemaRegistry, frame
from exchange.core.layout import Layout, Reader, encode_string, named_types
from exchange.errors import SchemaError


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
        named_types(fld["type"], definitions)
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


def _logical(avro_type: Any) -> str | None:
    if isinstance(avro_type, list):
        return next((_logical(b) for b in avro_type if b != "null"), None)
    return avro_type.get("logicalType") if isinstance(avro_type, dict) else None


def mask_function(fld: Mapping[str, Any], policy: str) -> Callable[[Any], str]:
    """The policy as it applies to this field's stored (non-logical) values."""
    if policy == "date_year":
        logical = _logical(fld["type"])
        if logical == "date":
            return masking.year_of_days
        if logical in ("timestamp-millis", "local-timestamp-millis"):
            return masking.year_of_millis
        raise SchemaError(f"date_year cannot mask {fld['name']}: it is not a date or a timestamp-millis")
    return masking.policy(policy).mask


def _masked_part(reader: Reader, mask: Callable[[Any], str], optional: bool) -> Callable[[bytes, int], bytes]:
    """Encoded bytes of a masked field, read from the original value at the field's offset."""
    def part(value: bytes, pos: int) -> bytes:
        raw = reader(value, pos)
        if raw is None:
            return b"\x00"
        encoded = encode_string(mask(raw))
        return b"\x02" + encoded if optional else encoded
    return part


# A part of a view: a run of consecutive granted fields copied as they are (first, end, None), or one
# masked field re-encoded (index, index + 1, masker).
Part = tuple[int, int, Callable[[bytes, int], bytes] | None]


@dataclass(frozen=True, eq=False)
class View:
    """A registered view: builds a delivery from the original value and its field offsets.

    Views compare by identity: the rules share one `View` per distinct spec of a resource, so
    the exchange renders each distinct view once per event however many routes use it.
    """

    spec: ViewSpec
    schema: RegisteredSchema | None
    parts: tuple[Part, ...] = field(repr=False)
    prefix: bytes = field(repr=False, default=b"")

    @property
    def full(self) -> bool:
        return self.schema is None

    def render(self, value: bytes, bounds: list[int]) -> bytes:
        """The framed view of a framed value: granted fields' bytes joined, masked ones re-encoded;
        a full view is the value itself (the exchange forwards it without calling this)."""
        if self.schema is None:
            return value
        out = [self.prefix]
        for first, end, masked in self.parts:
            out.append(value[bounds[first]:bounds[end]] if masked is None else masked(value, bounds[first]))
        return b"".join(out)


def build_view(source: RegisteredSchema, layout: Layout, spec: ViewSpec, registry: SchemaRegistry) -> View:
    """Register the view schema of `spec` (unless it is full) and prepare its parts."""
    if spec.is_full(source.field_names()):
        return View(spec, None, ())
    parts: list[Part] = []
    for fld in source.schema["fields"]:
        if fld["name"] in spec.fields:
            parts.append(_part(fld, layout, dict(spec.masks).get(fld["name"])))
    schema = registry.register(view_schema(source.schema, spec))
    return View(spec, schema, _merge_runs(parts), frame(schema.id, b""))


def _part(fld: Mapping[str, Any], layout: Layout, policy: str | None) -> Part:
    index = layout.index[fld["name"]]
    if policy is None:
        return index, index + 1, None
    reader = layout.reader(fld["name"])
    if reader is None:
        raise SchemaError(f"{policy} cannot mask {fld['name']}: it is not a string, number, enum or date")
    optional = isinstance(fld["type"], list) and "null" in fld["type"]
    return index, index + 1, _masked_part(reader, mask_function(fld, policy), optional)


def _merge_runs(parts: list[Part]) -> tuple[Part, ...]:
    """Join adjacent copied fields into one slice: a view copies a few runs, not many fields."""
    merged: list[Part] = []
    for part in parts:
        if merged and part[2] is None and merged[-1][2] is None and merged[-1][1] == part[0]:
            merged[-1] = (merged[-1][0], part[1], None)
        else:
            merged.append(part)
    return tuple(merged)
