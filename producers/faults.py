"""Deliberately bad events, to exercise the exchange's dead-letter path (`gov.dlq`).

The publisher always sends a draft with Kafka key = `ce_subject` = `draft.key` and `ce_region` =
`draft.region`, the value encoded from `draft.record`. A fault is applied at one of three points
and dead-letters with the reason in `EXPECTED_REASON`:

Record level — `corrupt_record(draft, fault, rng)` returns a Draft to publish as usual:
- BAD_CHECKSUM (`id.checksum`): one citizen-ID or USCC field gets a wrong check character while
  length, charset, birth date and region stay valid. When that field is the subject, the key
  follows it, so the key still matches the record and the identifier check is what fails.
- KEY_MISMATCH (`key.mismatch`): the key (so `ce_subject`) is another valid identifier of the
  same kind; the record keeps its own subject.
- REGION_MISMATCH (`region.mismatch`): `draft.region` (so `ce_region`) is another division of
  the table, which the exchange knows; the record keeps its own region field.

Byte level — `corrupt_bytes(value, fault, rng)` takes the framed value (5-byte Confluent prefix
+ Avro body) and returns the bytes to send instead:
- MISSING_FIELD (`avro.decode`): the body is cut short, so the last required fields are missing
  (every record ends with the required `updated_at`); the prefix stays intact.
- UNDECODABLE (`avro.decode`): the body becomes a string length pointing far past the end.
- BAD_MAGIC (`avro.framing`): the first byte is not the wire format's 0x00.
- UNKNOWN_SCHEMA (`schema.unknown`): bytes 1–4 name an id with the top bit set, which no schema
  has (govx schema ids are 31-bit).

Header level — applied by the publisher, not here:
- MISSING_HEADER (`header.missing`): one required CloudEvents header (e.g. `ce_region`) is left
  out of the headers.
- WRONG_SOURCE (`source.unauthorized`): `ce_source` names a department that does not provide the
  resource, e.g. `/440106/jiaoyu` for a death_certificate.

Both helpers are pure and deterministic given the rng.
"""

from __future__ import annotations

import random
import struct
from dataclasses import replace
from enum import StrEnum

from exchange.core import regions
from exchange.core.codec import PREFIX_SIZE
from exchange.core.identifiers import USCC_ALPHABET, check_citizen_id, check_uscc, citizen_id_check_char, random_uscc
from producers.draft import Draft


class Fault(StrEnum):
    """A kind of deliberately bad event (see the module docstring for where each is applied)."""

    BAD_CHECKSUM = "bad_checksum"
    MISSING_FIELD = "missing_field"
    UNDECODABLE = "undecodable"
    BAD_MAGIC = "bad_magic"
    MISSING_HEADER = "missing_header"
    UNKNOWN_SCHEMA = "unknown_schema"
    KEY_MISMATCH = "key_mismatch"
    REGION_MISMATCH = "region_mismatch"
    WRONG_SOURCE = "wrong_source"


EXPECTED_REASON: dict[Fault, str] = {
    Fault.BAD_CHECKSUM: "id.checksum",
    Fault.MISSING_FIELD: "avro.decode",
    Fault.UNDECODABLE: "avro.decode",
    Fault.BAD_MAGIC: "avro.framing",
    Fault.MISSING_HEADER: "header.missing",
    Fault.UNKNOWN_SCHEMA: "schema.unknown",
    Fault.KEY_MISMATCH: "key.mismatch",
    Fault.REGION_MISMATCH: "region.mismatch",
    Fault.WRONG_SOURCE: "source.unauthorized",
}
RECORD_FAULTS = frozenset({Fault.BAD_CHECKSUM, Fault.KEY_MISMATCH, Fault.REGION_MISMATCH})
BYTE_FAULTS = frozenset({Fault.MISSING_FIELD, Fault.UNDECODABLE, Fault.BAD_MAGIC, Fault.UNKNOWN_SCHEMA})
HEADER_FAULTS = frozenset({Fault.MISSING_HEADER, Fault.WRONG_SOURCE})

_CITIZEN_CHECKS = "0123456789X"


def identifier_fields(draft: Draft) -> list[str]:
    """The record's non-null citizen-ID and USCC fields (the schemas name them `…citizen_id`, `…uscc`)."""
    return [name for name, value in draft.record.items()
            if isinstance(value, str) and name.endswith(("citizen_id", "uscc"))]


def corrupt_record(draft: Draft, fault: Fault, rng: random.Random) -> Draft:
    """The draft with a record-level fault (BAD_CHECKSUM, KEY_MISMATCH, REGION_MISMATCH) applied."""
    if fault is Fault.BAD_CHECKSUM:
        return _bad_checksum(draft, rng)
    if fault is Fault.KEY_MISMATCH:
        return replace(draft, key=_other_key(draft.key, rng))
    if fault is Fault.REGION_MISMATCH:
        codes = [d.code for d in regions.divisions() if d.code != draft.region]
        return replace(draft, region=codes[rng.randrange(len(codes))])
    raise ValueError(f"{fault} is not a record-level fault; record-level: {sorted(RECORD_FAULTS)}")


def _bad_checksum(draft: Draft, rng: random.Random) -> Draft:
    """Corrupt the check character of one identifier field; the key follows when it is the subject
    (the subject field is the first one holding the key: every schema lists it before any copy)."""
    fields = identifier_fields(draft)
    if not fields:
        raise ValueError(f"a {draft.resource} record has no citizen-ID or USCC field to corrupt")
    name = fields[rng.randrange(len(fields))]
    value = draft.record[name]
    checks = _CITIZEN_CHECKS if name.endswith("citizen_id") else USCC_ALPHABET
    wrong = value[:17] + rng.choice([char for char in checks if char != value[17]])
    subject = next((field for field, held in draft.record.items() if held == draft.key), None)
    return replace(draft, record={**draft.record, name: wrong}, key=wrong if name == subject else draft.key)


def _other_key(key: str, rng: random.Random) -> str:
    """Another valid identifier of the same kind: a citizen ID, a USCC, or a certificate number
    with its last digit changed."""
    citizen, uscc = check_citizen_id(key).valid, check_uscc(key).valid
    while True:
        if citizen:
            first17 = f"{key[:14]}{rng.randrange(1, 1000):03d}"
            other = first17 + citizen_id_check_char(first17)
        elif uscc:
            other = random_uscc(rng, key[2:8], authority=key[0], org_type=key[1])
        else:
            where = max(i for i, char in enumerate(key) if char.isdigit())
            other = key[:where] + str(rng.randrange(10)) + key[where + 1 :]
        if other != key:
            return other


def corrupt_bytes(value: bytes, fault: Fault, rng: random.Random) -> bytes:
    """A framed value (Confluent prefix + Avro body) with a byte-level fault applied."""
    if len(value) <= PREFIX_SIZE:
        raise ValueError("the value has no Avro body after the 5-byte prefix")
    if fault is Fault.MISSING_FIELD:
        return value[: rng.randrange(PREFIX_SIZE, len(value))]
    if fault is Fault.UNDECODABLE:
        tail = bytes(rng.randrange(0x20, 0x7F) for _ in range(rng.randint(0, 8)))
        return value[:PREFIX_SIZE] + _varint(rng.randrange(1 << 20, 1 << 30) << 1) + tail
    if fault is Fault.BAD_MAGIC:
        return bytes([rng.randrange(1, 256)]) + value[1:]
    if fault is Fault.UNKNOWN_SCHEMA:
        return value[:1] + struct.pack(">I", rng.randrange(0x8000_0000, 0x1_0000_0000)) + value[PREFIX_SIZE:]
    raise ValueError(f"{fault} is not a byte-level fault; byte-level: {sorted(BYTE_FAULTS)}")


def _varint(number: int) -> bytes:
    """Avro's variable-length encoding of a non-negative (already zigzagged) integer."""
    out = bytearray()
    while number >= 0x80:
        out.append(number & 0x7F | 0x80)
        number >>= 7
    out.append(number)
    return bytes(out)
