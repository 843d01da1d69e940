"""A delivery in a consumer node's inbox, described for people: `govx inbox`.

Decoded with its own (view) schema by the id it carries; the grant, the consumer and the event id
come from the headers the exchange adds, the masks from the grant in the directory. (Not from the
view schema: masking a field that is a string already leaves the canonical form, so the id, of
the unmasked projection — two such views share one schema; its `masked` attributes are only a
fallback for a grant the directory no longer lists.)
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from exchange.core.codec import SchemaRegistry, decode, framed_id
from exchange.core.directory import Grant
from exchange.core.message import Message
from exchange.errors import InvalidEvent


def _header(message: Message, name: str) -> str | None:
    raw = dict(message.headers).get(name)
    return None if raw is None else raw.decode("utf-8", "replace")


def describe(registry: SchemaRegistry, message: Message, grants: Mapping[str, Grant]) -> dict[str, Any]:
    """Event id, grant, schema, fields, masks and the decoded record of one delivery."""
    described: dict[str, Any] = {
        "event_id": _header(message, "ce_id"), "type": _header(message, "ce_type"),
        "source": _header(message, "ce_source"), "grant": _header(message, "govx_grant"),
        "consumer": _header(message, "govx_consumer"),
        "key": None if message.key is None else message.key.decode("utf-8", "replace"),
        "where": f"{message.topic}/{message.partition}/{message.offset}"}
    try:
        schema, record = decode(registry, message.value)
    except InvalidEvent as exc:
        return {**described, "schema_id": _id_or_none(message.value), "error": f"{exc.reason}: {exc.detail}"}
    fields = schema.schema.get("fields", ())
    grant = grants.get(described["grant"] or "")
    masks = dict(grant.masks) if grant is not None else {str(f["name"]): str(f["masked"]) for f in fields
                                                          if "masked" in f}
    return {**described, "schema_id": schema.id, "schema": schema.name,
            "fields": [str(f["name"]) for f in fields], "masks": masks, "record": record}


def _id_or_none(value: bytes | None) -> int | None:
    try:
        return framed_id(value)
    except InvalidEvent:
        return None


def needs_schemas(registry: SchemaRegistry, message: Message) -> bool:
    """Whether the delivery names a schema id the registry does not hold yet (reload `<ns>.schemas`)."""
    schema_id = _id_or_none(message.value)
    return schema_id is not None and schema_id not in registry
