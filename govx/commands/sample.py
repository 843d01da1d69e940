"""`govx sample RESOURCE --node DIV/DEPT [--bad REASON]`: one valid or deliberately broken event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from exchange.core.capture import to_json
from exchange.core.catalogue import load_catalogue
from exchange.core.codec import framed_id
from exchange.core.directory import Node
from exchange.errors import ConfigError, FramingError
from producers.faults import EXPECTED_REASON, Fault
from producers.sample import sample as make_sample

# A fault by name, or by the reason it causes (the first fault listed for a reason).
_BY_NAME = {fault.value: fault for fault in Fault} | {
    reason: fault for fault, reason in reversed(EXPECTED_REASON.items())}


def sample(
    resource: Annotated[str, typer.Argument(help="resource id, e.g. death_certificate")],
    node: Annotated[str, typer.Option(help="the publishing department node, e.g. 440303/weijian")],
    bad: Annotated[str | None, typer.Option(help="break it: a fault (" + ", ".join(f.value for f in Fault)
                                                 + ") or the dead-letter reason it causes (e.g. id.checksum)")] = None,
    seed: Annotated[int, typer.Option(help="seed of the simulated world (same seed, same event)")] = 1,
    out: Annotated[Path | None, typer.Option(help="append the event as one JSON line (what `govx check --file` "
                                                  "reads) instead of printing it")] = None,
    avro: Annotated[Path | None, typer.Option(help="also write the value's bytes (Confluent framing + Avro)")] = None,
) -> int:
    """Print a source event as a departmental system must send it: headers, key, value, record."""
    fault = _fault(bad)
    try:
        made = make_sample(load_catalogue(), resource, Node.parse(node), at=datetime.now(UTC), seed=seed,
                                  bad=fault)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    message = made.publication.event.as_message()
    document = to_json(message, schema_id=_schema_id(message.value), record=made.record,
                       fault=None if fault is None else fault.value,
                       expected_reason=None if fault is None else EXPECTED_REASON[fault])
    if avro is not None:
        avro.write_bytes(message.value or b"")
    if out is None:
        typer.echo(json.dumps(document, ensure_ascii=False, indent=2, default=str))
    else:
        with out.open("a", encoding="utf-8") as file:
            file.write(json.dumps(document, ensure_ascii=False, default=str) + "\n")
    return 0


def _fault(bad: str | None) -> Fault | None:
    if bad is None:
        return None
    if bad not in _BY_NAME:
        raise ConfigError(f"--bad {bad!r} is no fault or reason; choose from {', '.join(sorted(_BY_NAME))}")
    return _BY_NAME[bad]


def _schema_id(value: bytes | None) -> int | None:
    try:
        return framed_id(value)
    except FramingError:
        return None
