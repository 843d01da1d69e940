"""The `.avsc` files in `schemas/`: one named type per file, expanded into standalone schemas.

A record may refer to a shared named type (an enum in `gov.common`) by its full name; the
registered schema is standalone (every named type defined at first use), so a consumer can
decode it with nothing else. Each field declares a `sensitivity` level and, where it holds an
identifier the exchange validates, an `identifier` kind.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum, StrEnum
from pathlib import Path
from typing import Any, TypeVar

from exchange.core.identifiers import IdKind
from exchange.errors import SchemaError

PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "bytes", "string"})
NAMED = frozenset({"record", "error", "enum", "fixed"})
Definitions = Mapping[str, Mapping[str, Any]]


class Sensitivity(StrEnum):
    """How sensitive a data item is."""

    PUBLIC = "L1"
    INTERNAL = "L2"
    PERSONAL = "L3"
    HIGHLY_SENSITIVE = "L4"


@dataclass(frozen=True)
class DataItem:
    """One data item (信息项) of a resource: a field of its schema with its catalogue metadata."""

    name: str
    label: str
    type: str
    sensitivity: Sensitivity
    identifier: IdKind | None
    optional: bool


def _full_name(schema: Mapping[str, Any], namespace: str | None) -> str:
    name = str(schema["name"])
    if "." in name:
        return name
    space = schema.get("namespace", namespace)
    return f"{space}.{name}" if space else name


def load_definitions(folder: Path) -> dict[str, Mapping[str, Any]]:
    """Every named type in `folder`, by full name; the file name must be `<full name>.avsc`."""
    definitions: dict[str, Mapping[str, Any]] = {}
    for path in sorted(folder.glob("*.avsc")):
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise SchemaError(f"{path.name}: not a readable JSON schema: {exc}") from exc
        if not isinstance(schema, dict) or schema.get("type") not in NAMED:
            raise SchemaError(f"{path.name}: a schema file must hold one named type (record, enum or fixed)")
        full = _full_name(schema, None)
        if path.name != f"{full}.avsc":
            raise SchemaError(f"{path.name}: holds {full}; the file must be named {full}.avsc")
        definitions[full] = schema
    return definitions


class _Expander:
    """Inlines named-type references, defining each named type once, at first use."""

    def __init__(self, definitions: Definitions) -> None:
        self._definitions = definitions
        self._defined: set[str] = set()

    def expand(self, schema: Any, namespace: str | None) -> Any:
        if isinstance(schema, list):
            return [self.expand(branch, namespace) for branch in schema]
        if isinstance(schema, str):
            return self._reference(schema, namespace)
        kind = schema.get("type")
        if kind in NAMED:
            return self._named(schema, namespace)
        if kind == "array":
            return {**schema, "items": self.expand(schema["items"], namespace)}
        if kind == "map":
            return {**schema, "values": self.expand(schema["values"], namespace)}
        return dict(schema)

    def _reference(self, name: str, namespace: str | None) -> Any:
        if name in PRIMITIVES:
            return name
        full = name if "." in name or not namespace else f"{namespace}.{name}"
        if full in self._defined:
            return full
        if full not in self._definitions:
            raise SchemaError(f"unknown type {name!r}: no file {full}.avsc")
        return self._named(self._definitions[full], namespace)

    def _named(self, schema: Mapping[str, Any], namespace: str | None) -> dict[str, Any]:
        full = _full_name(schema, namespace)
        self._defined.add(full)
        inner = full.rpartition(".")[0] or None
        expanded = {**schema, "name": full}
        expanded.pop("namespace", None)
        if "fields" in schema:
            expanded["fields"] = [{**f, "type": self.expand(f["type"], inner)} for f in schema["fields"]]
        return expanded


def standalone(name: str, definitions: Definitions) -> dict[str, Any]:
    """The schema of `name` with every referenced named type defined inline."""
    if name not in definitions:
        raise SchemaError(f"no schema named {name!r} in the schemas folder")
    expanded: dict[str, Any] = _Expander(definitions).expand(definitions[name], None)
    return expanded


def _type_label(avro_type: Any) -> tuple[str, bool]:
    if isinstance(avro_type, list):
        branches = [b for b in avro_type if b != "null"]
        label = _type_label(branches[0])[0] if len(branches) == 1 else "union"
        return label, "null" in avro_type
    if isinstance(avro_type, str):
        return avro_type.rpartition(".")[2], False
    if "logicalType" in avro_type:
        return str(avro_type["logicalType"]), False
    if avro_type.get("type") == "array":
        return f"array<{_type_label(avro_type['items'])[0]}>", False
    return str(avro_type.get("name", avro_type.get("type"))).rpartition(".")[2], False


def data_items(schema: Mapping[str, Any]) -> tuple[DataItem, ...]:
    """The data items of a record schema, with sensitivity and identifier kind."""
    return tuple(_data_item(schema.get("name", "?"), f) for f in schema.get("fields", ()))


E = TypeVar("E", bound=Enum)


def _member(kind: type[E], value: Any, problem: str) -> E:
    """`kind(value)`, or a `SchemaError` saying `problem` and what is allowed."""
    allowed = {member.value: member for member in kind}
    if value not in allowed:
        raise SchemaError(f"{problem}, not {value!r} (one of {', '.join(map(str, allowed))})")
    return allowed[value]


def _data_item(record: str, fld: Mapping[str, Any]) -> DataItem:
    where = f"{record}.{fld.get('name')}"
    sensitivity = _member(Sensitivity, fld.get("sensitivity"), f"{where}: needs a sensitivity of L1-L4")
    identifier = _member(IdKind, fld["identifier"], f"{where}: not a known identifier kind") \
        if "identifier" in fld else None
    if " / " not in str(fld.get("doc", "")):
        raise SchemaError(f"{where}: the doc must be 'Chinese / English'")
    label, optional = _type_label(fld["type"])
    return DataItem(str(fld["name"]), str(fld["doc"]), label, sensitivity, identifier, optional)


def identifier_fields(items: Iterable[DataItem]) -> tuple[tuple[str, IdKind], ...]:
    """The (field, kind) pairs the exchange validates on every event."""
    return tuple((item.name, item.identifier) for item in items if item.identifier is not None)
