"""`govx check` on captured records: every dead-letter reason code is caught, reported and in JUnit XML."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path

import pytest
from junitparser import Failure, JUnitXml

from exchange.core.capture import to_json
from exchange.core.catalogue import load_catalogue
from exchange.core.codec import SchemaRegistry
from exchange.core.events import build_event
from exchange.core.identifiers import citizen_id_check_char
from exchange.core.message import Message
from govx.cli import main
from producers.faults import Fault
from tests.support import citizen_id, death_certificate

CATALOGUE = load_catalogue()
RESOURCE = CATALOGUE.resources["death_certificate"]
SCHEMA = SchemaRegistry().register(RESOURCE.definition)
SOURCE_REASONS = {  # every reason code a source event can be dead-lettered with (docs/operations.md)
    "header.missing", "header.invalid", "resource.unknown", "source.unauthorized", "key.mismatch", "avro.framing",
    "schema.unknown", "avro.decode", "region.mismatch", "id.length", "id.charset", "id.region", "id.date",
    "id.checksum",
}  # fmt: skip


def _event(person: str, rng: random.Random) -> Message:
    return build_event(RESOURCE, SCHEMA, death_certificate("440303", person=person), division="440303",
                       department="weijian", at=datetime.now(UTC), rng=rng).as_message()


def _with_header(message: Message, name: str, value: bytes) -> Message:
    return message._replace(headers=tuple((n, value if n == name else v) for n, v in message.headers))


def _handmade() -> list[Message]:
    """The reasons no simulator fault produces: bad headers and each way an identifier fails."""
    rng = random.Random(5)
    good = _event(citizen_id("440303", 11), rng)
    upper_id = dict(good.headers)["ce_id"].upper()
    bad_ids = ["4403031990010100", "44030319900101001x", "44039919900101001", "44030329990101001"]
    identifiers = [_event(value if len(value) != 17 else value + citizen_id_check_char(value), rng)
                   for value in bad_ids]  # too short, a lower-case x, no 深圳 division, born in 2999
    return [_with_header(good, "ce_id", upper_id), _with_header(good, "ce_type", b"gov.nothing.created"),
            *identifiers, good]


@pytest.fixture(scope="module")
def captured(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("captured") / "events.jsonl"
    for fault in Fault:
        assert main(["sample", "death_certificate", "--node", "440303/weijian", "--bad", fault.value,
                     "--out", str(path)]) == 0
    with path.open("a", encoding="utf-8") as file:
        for message in _handmade():
            file.write(json.dumps(to_json(message)) + "\n")
    return path


def test_every_dead_letter_reason_is_caught_and_counted(captured: Path, tmp_path: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    junit = tmp_path / "check.xml"
    assert main(["check", "--file", str(captured), "--json", "--junit", str(junit)]) == 1
    report = json.loads(capsys.readouterr().out)
    assert set(report["reasons"]) == SOURCE_REASONS
    assert (report["checked"], report["valid"], report["invalid"]) == (len(Fault) + 7, 1, len(Fault) + 6)
    assert report["reasons"]["avro.decode"]["count"] == 2  # missing_field and undecodable
    assert report["reasons"]["id.date"]["examples"][0]["detail"].startswith("citizen_id: birth date 2999-01-01")
    suites = JUnitXml.fromfile(str(junit))
    cases = [case for suite in suites for case in suite]
    assert len(cases) == len(Fault) + 7
    failures = {result.type for case in cases for result in case.result if isinstance(result, Failure)}
    assert failures == SOURCE_REASONS
    assert sum(1 for case in cases if case.is_passed) == 1


def test_the_table_names_each_reason_and_a_clean_file_passes(captured: Path, tmp_path: Path,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--file", str(captured)]) == 1
    table = capsys.readouterr().out
    assert all(reason in table for reason in SOURCE_REASONS) and "FAIL" in table
    clean = tmp_path / "clean.jsonl"
    assert main(["sample", "death_certificate", "--node", "440303/weijian", "--out", str(clean)]) == 0
    assert main(["sample", "death_certificate", "--node", "440303/weijian", "--seed", "2", "--out", str(clean)]) == 0
    assert main(["check", "--file", str(clean)]) == 0
    assert "PASS: 2 events checked, 2 valid" in capsys.readouterr().out


def test_node_filter_and_bad_input(captured: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--file", str(captured), "--node", "440604/weijian", "--json"]) == 1  # nothing of its own
    report = json.loads(capsys.readouterr().out)
    assert report["checked"] == 0 and report["skipped"] == len(Fault) + 7 and report["passed"] is False
    broken = tmp_path / "broken.jsonl"
    broken.write_text('{"topic": "gov.src.death_certificate", "value_base64": "%%%"}\n', encoding="utf-8")
    assert main(["check", "--file", str(broken)]) == 2
    assert "broken.jsonl:1: value: not base64" in capsys.readouterr().err
