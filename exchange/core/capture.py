"""Captured records: Kafka records as JSON lines, what `govx sample` writes and `govx check` reads.

One line per record:

    {"topic": "gov.src.death_certificate", "partition": 0, "offset": 0, "timestamp_ms": 1764…,
     "key": "440303…", "headers": [["ce_id", "…"], …], "value_base64": "AAAB…"}

`key` and header values are UTF-8 text (`null` for none); a header value that is no UTF-8 text is
written as {"base64": "…"}. `value_base64` is the framed value exactly as sent (null for a
tombstone). Other keys (`record`, `fault`, …) are for people and are ignored on reading.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterable, Iterator
from typing import Any

from exchange.core.message import Message
from exchange.errors import ConfigError as CaptureError  # a bad capture file is bad input, like a bad scenario


def _text_or_b64(raw: bytes) -> Any:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return {"base64": base64.b64encode(raw).decode()}


def to_json(message: Message, **extra: Any) -> dict[str, Any]:
    """The JSON object of one record (plus `extra` keys for people)."""
    return {"topic": message.topic, "partition": message.partition, "offset": message.offset,
            "timestamp_ms": message.timestamp_ms, "key": None if message.key is None else _text_or_b64(message.key),
            "headers": [[name, _text_or_b64(value)] for name, value in message.headers],
            "value_base64": None if message.value is None else base64.b64encode(message.value).decode(), **extra}


def _bytes(where: str, value: Any) -> bytes | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value.encode("utf-8")
    if isinstance(value, dict) and isinstance(value.get("base64"), str):
        return _b64(where, value["base64"])
    raise CaptureError(f"{where}: expected text, null or {{\"base64\": …}}, not {value!r:.60}")


def _b64(where: str, text: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CaptureError(f"{where}: not base64: {exc}") from exc


def from_json(line: str, where: str = "record") -> Message:
    """The record of one JSON line; `ConfigError` says what is wrong."""
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise CaptureError(f"{where}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("topic"), str):
        raise CaptureError(f"{where}: a captured record is a JSON object with a \"topic\"")
    headers = data.get("headers", [])
    if not isinstance(headers, list) or not all(isinstance(h, list) and len(h) == 2 for h in headers):
        raise CaptureError(f"{where}: \"headers\" must be a list of [name, value] pairs")
    value = data.get("value_base64")
    return Message(data["topic"], int(data.get("partition", 0)), int(data.get("offset", 0)),
                   _bytes(f"{where}: key", data.get("key")), None if value is None else _b64(f"{where}: value", value),
                   tuple((str(n), _bytes(f"{where}: header {n}", v) or b"") for n, v in headers),
                   int(data.get("timestamp_ms", 0)))


def read_lines(lines: Iterable[str], source: str) -> Iterator[Message]:
    """Every record of a capture file's lines (blank lines skipped)."""
    for number, line in enumerate(lines, start=1):
        if line.strip():
            yield from_json(line, f"{source}:{number}")
