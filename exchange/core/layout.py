"""Where each field of an Avro record lies in its encoded bytes — the exchange's fast path.

A `Layout` is compiled once per record schema into a scanner: plain Python generated from the
schema that walks an encoded value, checks it as strictly as a decoder would (every varint, union
branch and enum index, every length, every string's UTF-8, no bytes missing or left over) and
returns the offset where each top-level field starts. With those offsets the exchange

- decodes only the fields it must look at (subject, region, identifiers, masked fields), and
- builds a projection by joining the original bytes of the granted fields — the Avro binary
  encoding of a record is the concatenation of its fields' encodings — re-encoding only the
  masked ones. The result is byte for byte what encoding the projected record would give
  (the property tests check this against fastavro for every resource).

The generated code is built only from the schema's structure (types, branch counts, enum sizes,
fixed sizes) — never from names or other text in the schema — and compiled once.
"""

from __future__ import annotations

import struct
from collections.abc import Callable, Mapping
from typing import Any

from exchange.errors import DecodeError

# An int or long is skipped without decoding it: continuation bytes have their top bit set.
_SKIP_VARINT = ["x = d[p]; p += 1", "if x > 127: p = _skip_varint(d, p)"]
# A length, count or index is decoded inline on its one-byte fast path (values below 64).
_READ_VARINT = ["x = d[p]; p += 1", "if x > 127: x, p = _varint(d, p - 1)", "else: x = (x >> 1) ^ -(x & 1)"]
PRIMITIVE_SKIPS = {"null": [], "int": _SKIP_VARINT, "long": _SKIP_VARINT, "float": ["p += 4"], "double": ["p += 8"],
                   "boolean": ["if d[p] > 1: raise ValueError('boolean byte is not 0 or 1')", "p += 1"]}


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    """A zig-zag varint at `pos`: (value, position after it)."""
    byte = data[pos]
    pos += 1
    if byte < 0x80:
        return (byte >> 1) ^ -(byte & 1), pos
    value, shift = byte & 0x7F, 7
    while byte & 0x80:
        if shift > 63:
            raise ValueError("varint longer than 10 bytes")
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
    return (value >> 1) ^ -(value & 1), pos


def _skip_varint(data: bytes, pos: int) -> int:
    """The position after a varint whose first byte (before `pos`) had its continuation bit set."""
    for end in range(pos, pos + 9):
        if data[end] < 0x80:
            return end + 1
    raise ValueError("varint longer than 10 bytes")


def zigzag(value: int) -> bytes:
    """The Avro encoding of an int or long."""
    number = (value << 1) ^ (value >> 63)
    out = bytearray()
    while number > 0x7F:
        out.append((number & 0x7F) | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)


def encode_string(text: str) -> bytes:
    raw = text.encode("utf-8")
    return zigzag(len(raw)) + raw


class _Generator:
    """Turns a schema into the source of a scanner; named types become functions of their own."""

    def __init__(self, definitions: Mapping[str, Any]) -> None:
        self.functions: list[str] = []
        self.named: dict[str, str] = {}
        self.definitions = definitions

    def skip(self, schema: Any, indent: str) -> list[str]:
        """Lines that move `p` past one datum of `schema` (strings' bytes are collected in `u`)."""
        if isinstance(schema, list):
            return self._union(schema, indent)
        if isinstance(schema, str):
            if schema in self.definitions:
                return self.skip(self.definitions[schema], indent) if schema not in self.named else \
                    [f"{indent}p = {self.named[schema]}(d, p, u)"]
            return self._primitive(schema, indent)
        kind = schema["type"]
        if kind == "enum":
            symbols = int(len(schema["symbols"]))
            return [*(indent + line for line in _READ_VARINT),
                    f"{indent}if not 0 <= x < {symbols}: raise ValueError('enum index out of range')"]
        if kind == "fixed":
            return [f"{indent}p += {int(schema['size'])}"]
        if kind in ("record", "error"):
            return [f"{indent}p = {self._function(schema)}(d, p, u)"]
        if kind in ("array", "map"):
            return self._blocks(schema, indent)
        return self._primitive(kind, indent)

    def _primitive(self, kind: str, indent: str) -> list[str]:
        if kind in ("string", "bytes"):
            keep = [f"{indent}u.append(d[p - x:p])"] if kind == "string" else []
            return [*(indent + line for line in _READ_VARINT), f"{indent}if x < 0: raise ValueError('negative length')",
                    f"{indent}p += x", *keep]
        if kind not in PRIMITIVE_SKIPS:
            raise DecodeError(f"cannot lay out Avro type {kind!r}")
        return [indent + line for line in PRIMITIVE_SKIPS[kind]]

    def _union(self, branches: list[Any], indent: str) -> list[str]:
        lines = [indent + line for line in _READ_VARINT]
        for index, branch in enumerate(branches):
            lines.append(f"{indent}{'if' if index == 0 else 'elif'} x == {index}:")
            lines += self.skip(branch, indent + "    ") or [f"{indent}    pass"]
        return [*lines, f"{indent}else: raise ValueError('union branch out of range')"]

    def _blocks(self, schema: Mapping[str, Any], indent: str) -> list[str]:
        inner = indent + "        "
        key = self._primitive("string", inner) if schema["type"] == "map" else []
        item = self.skip(schema["items"] if schema["type"] == "array" else schema["values"], inner)
        return [f"{indent}while True:", f"{indent}    c, p = _varint(d, p)", f"{indent}    if c == 0: break",
                f"{indent}    if c < 0: c = -c; x, p = _varint(d, p)", f"{indent}    for _ in range(c):",
                *(key + item or [f"{inner}pass"])]

    def _function(self, schema: Mapping[str, Any]) -> str:
        if schema["name"] in self.named:
            return self.named[schema["name"]]
        name = self.named[schema["name"]] = f"_n{len(self.named)}"
        body: list[str] = []
        for fld in schema["fields"]:
            body += self.skip(fld["type"], "    ")
        self.functions.append("\n".join([f"def {name}(d, p, u):", *body, "    return p"]))
        return name

    def scanner(self, record: Mapping[str, Any]) -> str:
        lines = ["def scan(d, p):", "    u = []", "    b = [p]", "    a = b.append"]
        for fld in record["fields"]:
            lines += self.skip(fld["type"], "    ") + ["    a(p)"]
        lines += ["    if p != len(d):",
                  "        raise ValueError(f'{len(d) - p} bytes left over' if p < len(d) else 'truncated')",
                  "    b'\\n'.join(u).decode('utf-8')", "    return b"]
        return "\n\n".join([*self.functions, "\n".join(lines)])


def compile_scanner(record: Mapping[str, Any]) -> Callable[[bytes, int], list[int]]:
    """A function (value, start) -> the start offset of every field and the end of the record."""
    source = _Generator(named_types(record)).scanner(record)
    namespace: dict[str, Any] = {"_varint": _varint, "_skip_varint": _skip_varint}
    exec(compile(source, f"<layout {record.get('name', '?')}>", "exec"), namespace)  # noqa: S102 - see module doc
    scan: Callable[[bytes, int], list[int]] = namespace["scan"]
    return scan


Reader = Callable[[bytes, int], Any]


def named_types(schema: Any, found: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every named type defined in a standalone schema, by full name."""
    found = {} if found is None else found
    if isinstance(schema, list):
        for branch in schema:
            named_types(branch, found)
    elif isinstance(schema, dict):
        if schema.get("type") in ("record", "error", "enum", "fixed"):
            found.setdefault(schema["name"], schema)
        for nested in (schema.get("items"), schema.get("values"), *[f["type"] for f in schema.get("fields", ())]):
            if nested is not None:
                named_types(nested, found)
    return found


def field_reader(schema: Any, named: Mapping[str, Any]) -> Reader | None:
    """A decoder of one field from its start offset, as fastavro decodes it without logical
    types; None for types the caller must decode otherwise (records, arrays, maps, fixed)."""
    if isinstance(schema, str) and schema in named:
        schema = named[schema]
    if isinstance(schema, list):
        readers = [field_reader(branch, named) for branch in schema]
        if any(r is None for r in readers):
            return None
        return lambda data, pos: _read_union(readers, data, pos)  # type: ignore[arg-type]
    if isinstance(schema, dict):
        if schema.get("type") == "enum":
            symbols = tuple(schema["symbols"])
            return lambda data, pos: symbols[_varint(data, pos)[0]]
        schema = schema.get("type") if schema.get("type") not in ("record", "error", "array", "map", "fixed") else None
    return _PRIMITIVE_READERS.get(schema) if isinstance(schema, str) else None


def _read_union(readers: list[Reader], data: bytes, pos: int) -> Any:
    index, pos = _varint(data, pos)
    return readers[index](data, pos)


def _read_string(data: bytes, pos: int) -> str:
    size = data[pos]
    if size > 127:
        size, pos = _varint(data, pos)
    else:
        size, pos = (size >> 1) ^ -(size & 1), pos + 1
    return data[pos:pos + size].decode("utf-8")


def _read_bytes(data: bytes, pos: int) -> bytes:
    size, pos = _varint(data, pos)
    return data[pos:pos + size]


_PRIMITIVE_READERS: dict[str, Reader] = {
    "string": _read_string, "bytes": _read_bytes, "int": lambda d, p: _varint(d, p)[0],
    "long": lambda d, p: _varint(d, p)[0], "boolean": lambda d, p: d[p] == 1, "null": lambda d, p: None,
    "float": lambda d, p: struct.unpack_from("<f", d, p)[0], "double": lambda d, p: struct.unpack_from("<d", d, p)[0],
}


class Layout:
    """The compiled layout of one registered record schema."""

    def __init__(self, name: str, record: Mapping[str, Any]) -> None:
        self.name = name
        self._scan = compile_scanner(record)
        named = named_types(record)
        self.fields = tuple(str(f["name"]) for f in record["fields"])
        self.index = {field: position for position, field in enumerate(self.fields)}
        self.readers = tuple(field_reader(f["type"], named) for f in record["fields"])

    def bounds(self, value: bytes, start: int) -> list[int]:
        """The offset of each field (and of the record's end); `DecodeError` if malformed."""
        try:
            return self._scan(value, start)
        except (IndexError, ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise DecodeError(f"value does not decode as {self.name}: {type(exc).__name__}: {exc}") from exc

    def reader(self, field: str) -> Reader | None:
        return self.readers[self.index[field]]
