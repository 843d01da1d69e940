"""JSON for directory events on `gov.directory` (key `<kind>/<id>`, value one event).

The value is `{"type": ..., "at": ..., "kind": ..., "entity": {...}}` with dates in ISO 8601,
department nodes as `<division>/<department>` and enums as their values. Decoding checks every
field against the dataclass, so a malformed event is refused with a message, never half-applied.
"""

from __future__ import annotations

import dataclasses
import json
import types
from collections.abc import Mapping
from datetime import date, datetime
from enum import Enum
from typing import Any, Union, get_args, get_origin, get_type_hints

from exchange.core.directory import Application, DirectoryEvent, Entity, Grant, Node, Resource
from exchange.errors import DirectoryError, InvalidValueError

KINDS: dict[str, type[Entity]] = {"resource": Resource, "grant": Grant, "application": Application}
# Each entity class's type hints, evaluated once, not per event (the directory holds thousands of grants).
_HINTS: dict[type[Entity], dict[str, Any]] = {kind: get_type_hints(kind) for kind in KINDS.values()}


def plain(value: Any) -> Any:
    if isinstance(value, Node):
        return value.id
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, date):  # datetime is a date too
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [plain(item) for item in value]
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def to_json(event: DirectoryEvent) -> bytes:
    entity = {f.name: plain(getattr(event.entity, f.name)) for f in dataclasses.fields(event.entity)}
    document = {"type": event.type, "at": event.at.isoformat(), "kind": event.kind, "entity": entity}
    return json.dumps(document, ensure_ascii=False, sort_keys=True).encode("utf-8")


def _convert(hint: Any, value: Any, where: str) -> Any:
    origin = get_origin(hint)
    if origin in (Union, types.UnionType):
        options = [h for h in get_args(hint) if h is not type(None)]
        return None if value is None else _convert(options[0], value, where)
    if origin is tuple:
        return _tuple(get_args(hint), value, where)
    if hint in (Any,) or origin is Mapping:
        return value
    return _scalar(hint, value, where)


def _tuple(args: tuple[Any, ...], value: Any, where: str) -> tuple[Any, ...]:
    if not isinstance(value, list):
        raise DirectoryError(f"{where} must be a list")
    if len(args) == 2 and args[1] is Ellipsis:
        return tuple(_convert(args[0], item, where) for item in value)
    if len(value) != len(args):
        raise DirectoryError(f"{where} must have {len(args)} items")
    return tuple(_convert(h, item, where) for h, item in zip(args, value, strict=True))


def _scalar(hint: Any, value: Any, where: str) -> Any:
    try:
        if hint is datetime:
            return datetime.fromisoformat(value)
        if hint is date:
            return date.fromisoformat(value)
        if hint is Node:
            return Node.parse(value)
        if isinstance(hint, type) and issubclass(hint, Enum):
            return hint(value)
    except (TypeError, ValueError, InvalidValueError) as exc:
        raise DirectoryError(f"{where}: {exc}") from exc
    if isinstance(hint, type) and not isinstance(value, hint):
        raise DirectoryError(f"{where} must be {hint.__name__}, not {type(value).__name__}")
    return value


def _entity(kind: type[Entity], data: Mapping[str, Any]) -> Entity:
    hints = _HINTS[kind]
    names = {f.name for f in dataclasses.fields(kind)}
    unknown = set(data) - names
    if unknown:
        raise DirectoryError(f"{kind.__name__} has no field(s) {', '.join(sorted(unknown))}")
    values = {name: _convert(hints[name], data[name], f"{kind.__name__}.{name}") for name in names if name in data}
    try:
        return kind(**values)
    except TypeError as exc:
        raise DirectoryError(f"{kind.__name__} is incomplete: {exc}") from exc


def from_json(raw: bytes) -> DirectoryEvent:
    """Decode one directory event; `DirectoryError` says what is wrong with it."""
    try:
        document = json.loads(raw)
        kind = KINDS[document["kind"]]
        entity = _entity(kind, document["entity"])
        return DirectoryEvent(str(document["type"]), datetime.fromisoformat(document["at"]), entity)
    except DirectoryError:
        raise
    except (ValueError, KeyError, TypeError) as exc:
        raise DirectoryError(f"not a directory event: {type(exc).__name__}: {exc}") from exc
