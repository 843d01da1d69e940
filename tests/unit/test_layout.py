"""The compiled layouts agree with fastavro: same fields, byte-identical views, no laxer checks."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from typing import Any

import pytest
from fastavro import schemaless_reader
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.codec import PREFIX_SIZE, RegisteredSchema, SchemaRegistry, decode_body, encode
from exchange.core.layout import Layout, compile_scanner, encode_string, zigzag
from exchange.core.views import ViewSpec, build_view, mask_function
from exchange.errors import DecodeError
from producers.world import World, originating_departments

CATALOGUE: Catalogue = load_catalogue()
REGISTRY = SchemaRegistry()
SCHEMAS = {rid: REGISTRY.register(r.definition) for rid, r in CATALOGUE.resources.items()}
LAYOUTS = {rid: Layout(s.name, s.schema) for rid, s in SCHEMAS.items()}
STRING_POLICIES = ("id_keep_6_4", "name_surname", "phone_last4", "address_district")


def _samples() -> dict[str, list[bytes]]:
    world = World("440106", CATALOGUE, seed=17, clock_origin=datetime.now(UTC), pool_size=80)
    found: dict[str, list[bytes]] = {rid: [] for rid in SCHEMAS}
    for round_ in range(40):
        for department in originating_departments("440106", CATALOGUE):
            for draft in world.chain(department, float(round_)):
                found[draft.resource].append(encode(SCHEMAS[draft.resource], draft.record))
    return found


SAMPLES = _samples()


def test_every_resource_has_samples() -> None:
    assert all(SAMPLES[rid] for rid in SCHEMAS if rid != "enterprise_deregistration")


@pytest.mark.parametrize("resource", sorted(SCHEMAS))
def test_field_reads_equal_fastavro_for_every_resource(resource: str) -> None:
    schema, layout = SCHEMAS[resource], LAYOUTS[resource]
    for value in SAMPLES[resource]:
        bounds = layout.bounds(value, PREFIX_SIZE)
        assert bounds[-1] == len(value)
        decoded = decode_body(schema, value, logical=False)
        for name, reader in zip(layout.fields, layout.readers, strict=True):
            if reader is not None:
                assert reader(value, bounds[layout.index[name]]) == decoded[name], name


def _oracle(schema: RegisteredSchema, spec: ViewSpec, value: bytes) -> dict[str, Any]:
    """The projection computed the slow, obvious way: decode, pick, mask."""
    record = decode_body(schema, value, logical=False)
    masks = dict(spec.masks)
    fields = {f["name"]: f for f in schema.schema["fields"]}
    return {name: (record[name] if name not in masks or record[name] is None
                   else mask_function(fields[name], masks[name])(record[name])) for name in spec.fields}


def _maskable(schema: RegisteredSchema, name: str) -> tuple[str, ...]:
    fld = next(f for f in schema.schema["fields"] if f["name"] == name)
    kind = fld["type"][-1] if isinstance(fld["type"], list) else fld["type"]
    logical = kind.get("logicalType") if isinstance(kind, dict) else None
    if logical in ("date", "timestamp-millis"):
        return ("date_year",)
    return STRING_POLICIES if kind == "string" else ()


@st.composite
def views(draw: st.DrawFn) -> tuple[str, ViewSpec]:
    resource = draw(st.sampled_from(sorted(rid for rid in SCHEMAS if SAMPLES[rid])))
    schema = SCHEMAS[resource]
    order = schema.field_names()
    fields = draw(st.lists(st.sampled_from(order), unique=True, min_size=1))
    masks: dict[str, str] = {}
    for name in fields:
        options = _maskable(schema, name)
        masked: bool = draw(st.booleans())
        if options and masked:
            masks[name] = draw(st.sampled_from(options))
    return resource, ViewSpec.of(fields, masks, order)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(view=views(), pick=st.integers(min_value=0))
def test_rendered_views_are_byte_identical_to_encoding_the_projection(view: tuple[str, ViewSpec], pick: int) -> None:
    resource, spec = view
    schema, layout = SCHEMAS[resource], LAYOUTS[resource]
    value = SAMPLES[resource][pick % len(SAMPLES[resource])]
    built = build_view(schema, layout, spec, REGISTRY)
    rendered = built.render(value, layout.bounds(value, PREFIX_SIZE))
    if built.schema is None:
        assert rendered == value
    else:
        assert rendered == encode(built.schema, _oracle(schema, spec, value), logical=False)


def _fastavro_accepts(schema: RegisteredSchema, value: bytes) -> bool:
    stream = io.BytesIO(value)
    stream.seek(PREFIX_SIZE)
    try:
        schemaless_reader(stream, schema.raw, None)
    except Exception:
        return False
    return stream.tell() == len(value)


@st.composite
def corruptions(draw: st.DrawFn) -> tuple[str, bytes]:
    resource = draw(st.sampled_from(sorted(rid for rid in SCHEMAS if SAMPLES[rid])))
    value = bytearray(draw(st.sampled_from(SAMPLES[resource])))
    kind = draw(st.sampled_from(["flip", "cut", "append", "insert"]))
    at = draw(st.integers(min_value=PREFIX_SIZE, max_value=len(value) - 1))
    if kind == "flip":
        value[at] = draw(st.integers(min_value=0, max_value=255))
    elif kind == "cut":
        del value[at:]
    elif kind == "append":
        value += draw(st.binary(min_size=1, max_size=4))
    else:
        value[at:at] = draw(st.binary(min_size=1, max_size=3))
    return resource, bytes(value)


@settings(max_examples=1500, deadline=None)
@given(case=corruptions())
def test_the_layout_rejects_whatever_fastavro_rejects(case: tuple[str, bytes]) -> None:
    resource, value = case
    schema, layout = SCHEMAS[resource], LAYOUTS[resource]
    try:
        bounds = layout.bounds(value, PREFIX_SIZE)
    except DecodeError:
        return
    assert _fastavro_accepts(schema, value)
    decoded = decode_body(schema, value, logical=False)
    for name, reader in zip(layout.fields, layout.readers, strict=True):
        if reader is not None:
            assert reader(value, bounds[layout.index[name]]) == decoded[name]


@pytest.mark.parametrize("number", [0, 1, -1, 63, -64, 64, 8191, -8192, 2**31 - 1, -(2**31), 2**62, -(2**63)])
def test_zigzag_matches_the_avro_encoding(number: int) -> None:
    schema = SchemaRegistry().register({"type": "record", "name": "t.L", "fields": [{"name": "n", "type": "long"}]})
    assert frame_free(encode(schema, {"n": number})) == zigzag(number)


def test_strings_encode_as_length_and_utf8() -> None:
    schema = SchemaRegistry().register({"type": "record", "name": "t.S", "fields": [{"name": "s", "type": "string"}]})
    assert frame_free(encode(schema, {"s": "广州市天河区"})) == encode_string("广州市天河区")


def frame_free(value: bytes) -> bytes:
    return value[PREFIX_SIZE:]


def test_nested_records_arrays_maps_and_fixed_are_laid_out() -> None:
    schema = SchemaRegistry().register({"type": "record", "name": "t.N", "fields": [
        {"name": "inner", "type": {"type": "record", "name": "t.I", "fields": [{"name": "a", "type": "int"}]}},
        {"name": "again", "type": "t.I"},
        {"name": "tags", "type": {"type": "array", "items": "string"}},
        {"name": "attrs", "type": {"type": "map", "values": "double"}},
        {"name": "hash", "type": {"type": "fixed", "name": "t.H", "size": 4}},
        {"name": "flag", "type": "boolean"}, {"name": "f", "type": "float"}]})
    value = encode(schema, {"inner": {"a": 5}, "again": {"a": -3}, "tags": ["x", "黄埔"], "attrs": {"k": 1.5},
                            "hash": b"abcd", "flag": True, "f": 0.5})
    bounds = compile_scanner(schema.schema)(value, PREFIX_SIZE)
    assert len(bounds) == 8 and bounds[-1] == len(value)
    with pytest.raises(DecodeError):
        Layout(schema.name, schema.schema).bounds(value[:-1], PREFIX_SIZE)


def test_a_full_view_renders_the_value_itself() -> None:
    schema, layout = SCHEMAS["death_certificate"], LAYOUTS["death_certificate"]
    value = SAMPLES["death_certificate"][0]
    built = build_view(schema, layout, ViewSpec.of(["*"], {}, schema.field_names()), REGISTRY)
    assert built.full and built.render(value, layout.bounds(value, PREFIX_SIZE)) == value
