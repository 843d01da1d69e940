"""The Confluent wire format and the deterministic schema registry."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from exchange.core.codec import SchemaRegistry, decode, encode, frame, framed_id
from exchange.errors import DecodeError, FramingError, SchemaError, UnknownSchemaError

PERSON: dict[str, Any] = {
    "type": "record", "name": "gov.test.Person",
    "fields": [{"name": "name", "type": "string"}, {"name": "born", "type": {"type": "int", "logicalType": "date"}},
               {"name": "phone", "type": ["null", "string"], "default": None}],
}


@pytest.fixture
def registry() -> SchemaRegistry:
    return SchemaRegistry()


def test_a_record_round_trips_in_the_wire_format(registry: SchemaRegistry) -> None:
    schema = registry.register(PERSON)
    value = encode(schema, {"name": "张三", "born": date(1990, 5, 1), "phone": None})
    assert value[0] == 0
    assert int.from_bytes(value[1:5], "big") == schema.id
    found, record = decode(registry, value)
    assert found is schema
    assert record == {"name": "张三", "born": date(1990, 5, 1), "phone": None}


def test_without_logical_types_dates_stay_days_since_the_epoch(registry: SchemaRegistry) -> None:
    schema = registry.register(PERSON)
    value = encode(schema, {"name": "李四", "born": date(1970, 1, 11), "phone": "13800000000"})
    assert decode(registry, value, logical=False)[1]["born"] == 10
    assert encode(schema, {"name": "李四", "born": 10, "phone": "13800000000"}, logical=False) == value


def test_ids_are_derived_from_the_canonical_form_so_every_process_agrees() -> None:
    documented = {**PERSON, "doc": "a person / 人", "fields": [{**f, "doc": "x"} for f in PERSON["fields"]]}
    first, second = SchemaRegistry().register(PERSON), SchemaRegistry().register(documented)
    assert first.id == second.id
    renamed = {**PERSON, "fields": [*PERSON["fields"], {"name": "extra", "type": "int", "default": 0}]}
    assert SchemaRegistry().register(renamed).id != first.id
    assert 0 < first.id < 2**31


def test_registering_twice_is_idempotent(registry: SchemaRegistry) -> None:
    assert registry.register(PERSON) is registry.register(dict(PERSON))
    assert len(list(registry)) == 1


def test_a_collision_of_ids_is_refused() -> None:
    registry = SchemaRegistry(derive_id=lambda canonical: 42)
    registry.register(PERSON)
    other = {"type": "record", "name": "gov.test.Other", "fields": [{"name": "x", "type": "int"}]}
    with pytest.raises(SchemaError, match="collides"):
        registry.register(other)


def test_an_invalid_schema_is_a_schema_error(registry: SchemaRegistry) -> None:
    with pytest.raises(SchemaError, match="invalid Avro schema"):
        registry.register({"type": "record", "name": "gov.test.Bad", "fields": [{"name": "x", "type": "nope"}]})


def test_a_record_that_does_not_fit_is_a_schema_error(registry: SchemaRegistry) -> None:
    with pytest.raises(SchemaError, match="does not fit gov.test.Person"):
        encode(registry.register(PERSON), {"name": 42, "born": date(1990, 1, 1)})


@pytest.mark.parametrize(("value", "message"), [
    (None, "at least 5"), (b"", "at least 5"), (b"\x00\x00\x00", "at least 5"),
    (b"\x01\x00\x00\x00\x01xx", "magic byte"),
])
def test_values_outside_the_wire_format_are_framing_errors(value: bytes | None, message: str) -> None:
    with pytest.raises(FramingError, match=message):
        framed_id(value)


def test_an_unknown_schema_id_is_named(registry: SchemaRegistry) -> None:
    with pytest.raises(UnknownSchemaError, match="schema id 77 is not registered"):
        decode(registry, frame(77, b"\x02a"))


@pytest.mark.parametrize("body", [b"\x08ab", b"\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", b"\x04\xff\xfe\x00\x00"])
def test_bodies_that_do_not_decode_are_decode_errors(registry: SchemaRegistry, body: bytes) -> None:
    schema = registry.register(PERSON)
    with pytest.raises(DecodeError):
        decode(registry, frame(schema.id, body))


def test_trailing_bytes_are_a_decode_error(registry: SchemaRegistry) -> None:
    schema = registry.register(PERSON)
    value = encode(schema, {"name": "王五", "born": date(2000, 1, 1), "phone": None}) + b"\x00"
    with pytest.raises(DecodeError, match="1 bytes after"):
        decode(registry, value)
