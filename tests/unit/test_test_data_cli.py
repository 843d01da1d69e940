"""`govx id make` and `govx sample`: the test data a department needs, checked by the exchange's own code."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from exchange.core import regions
from exchange.core.capture import read_lines
from exchange.core.catalogue import load_catalogue, seed_events
from exchange.core.codec import SchemaRegistry
from exchange.core.decide import Exchange, Moment
from exchange.core.directory_view import DirectoryView
from exchange.core.identifiers import check_citizen_id, check_uscc, citizen_id_birth_date, citizen_id_is_female
from exchange.core.rules import Rules
from govx.cli import main
from producers.faults import EXPECTED_REASON, Fault

CATALOGUE = load_catalogue()


@functools.cache
def exchange() -> Exchange:
    view = DirectoryView(CATALOGUE.departments)
    view.apply_all(seed_events(CATALOGUE, view, datetime.now(UTC)))
    rules = Rules(SchemaRegistry())
    rules.update(view, list(view.resources))
    return Exchange(rules)


def test_make_citizen_ids_honour_region_birth_and_sex(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "make", "citizen", "--region", "440303", "--born", "1880-01-01", "--sex", "female",
                 "--count", "5", "--seed", "3"]) == 0
    made = capsys.readouterr().out.split()
    assert len(set(made)) == 5
    for value in made:
        assert check_citizen_id(value).valid and value.startswith("440303")
        assert citizen_id_birth_date(value) == date(1880, 1, 1) and citizen_id_is_female(value)


def test_random_ids_are_valid_and_from_a_county_of_guangdong(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["id", "make", "citizen", "--count", "20"]) == 0
    assert main(["id", "make", "uscc", "--count", "20"]) == 0
    citizens_and_usccs = capsys.readouterr().out.split()
    assert all(check_citizen_id(v).valid for v in citizens_and_usccs[:20])
    assert all(check_uscc(v).valid for v in citizens_and_usccs[20:])
    assert all(regions.level_of(v[:6]) is regions.Level.COUNTY for v in citizens_and_usccs[:20])
    assert all(regions.level_of(v[2:8]) is regions.Level.COUNTY for v in citizens_and_usccs[20:])


@pytest.mark.parametrize("args", [["--region", "440399"], ["--born", "2999-01-01"], ["--born", "01/02/1990"]])
def test_make_refuses_what_would_be_invalid(capsys: pytest.CaptureFixture[str], args: list[str]) -> None:
    assert main(["id", "make", "citizen", *args]) == 2
    assert "cannot make a citizen" in capsys.readouterr().err


def test_a_sample_passes_the_exchanges_validation(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "death_certificate", "--node", "440303/weijian"]) == 0
    document = json.loads(capsys.readouterr().out)
    (message,) = read_lines([json.dumps(document)], "stdout")
    valid = exchange().validate(message)
    assert valid.envelope.region == "440303" and document["record"]["citizen_id"] == valid.envelope.subject
    assert document["schema_id"] == valid.rules.schema.id and document["fault"] is None


def test_each_broken_sample_is_dead_lettered_for_its_reason(tmp_path: Path) -> None:
    captured = tmp_path / "bad.jsonl"
    for fault in Fault:
        assert main(["sample", "population_basic", "--node", "440604/gongan", "--bad", fault.value,
                     "--out", str(captured)]) == 0
    assert main(["sample", "population_basic", "--node", "440604/gongan", "--bad", "id.checksum",
                 "--out", str(captured)]) == 0
    messages = list(read_lines(captured.read_text(encoding="utf-8").splitlines(), captured.name))
    expected = [EXPECTED_REASON[fault] for fault in Fault] + ["id.checksum"]
    at = Moment.now()
    got = [exchange().process(message, at).dead_letter for message in messages]
    assert [None if dead is None else dead.reason for dead in got] == expected


def test_sample_refuses_a_department_that_does_not_provide(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["sample", "death_certificate", "--node", "440303/gongan"]) == 2
    assert "providers: weijian" in capsys.readouterr().err
    assert main(["sample", "death_certificate", "--node", "440303/weijian", "--bad", "nonsense"]) == 2
