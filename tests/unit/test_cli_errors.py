"""Bad command-line input gets a clear error and exit status 2 — before any broker is contacted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from exchange.errors import ConfigError
from exchange.runtime.ledger import read_ledger
from govx.cli import main


@pytest.fixture(autouse=True)
def no_broker_there(monkeypatch: pytest.MonkeyPatch) -> None:
    """Point at a port nothing listens on: each error must come before the broker is needed."""
    monkeypatch.setenv("GOVX_BOOTSTRAP_SERVERS", "127.0.0.1:1")


def error_of(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


def test_a_consumer_node_that_is_no_node_is_refused(capsys: pytest.CaptureFixture[str]) -> None:
    assert "--node" in error_of(["consume", "--node", "nonsense"], capsys)


@pytest.mark.parametrize(("argv", "message"), [
    (["produce", "--node", "449999"], "not a division of the province"),
    (["produce", "--node", "440106", "--department", "jiaoyu"], "originate no events"),
])
def test_impossible_producer_options_are_refused(argv: list[str], message: str,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    assert message in error_of(argv, capsys)


@pytest.mark.parametrize("content", ['{"sources": []}', "not json", '{"sources": [{"division": 1}]}'])
def test_a_malformed_plan_file_is_named(tmp_path: Path, content: str, capsys: pytest.CaptureFixture[str]) -> None:
    plan = tmp_path / "plan.json"
    plan.write_text(content, encoding="utf-8")
    assert "is not a producer plan" in error_of(["produce", "--plan", str(plan)], capsys)


def test_report_refuses_a_folder_that_is_not_a_run(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = error_of(["report", str(tmp_path)], capsys)
    assert "is not a run's report folder" in err and "grants.json" in err


def test_a_corrupt_ledger_line_is_named_but_a_torn_last_line_is_ignored(tmp_path: Path) -> None:
    entry = {"kind": "produced", "event_id": "e", "resource": "r", "key": "k", "region": "440106",
             "division": "440106", "department": "weijian", "action": "created", "intended_ms": 1, "sent_ms": 1,
             "fault": None}
    ledger = tmp_path / "p.jsonl"
    ledger.write_text(json.dumps(entry) + "\n" + json.dumps(entry)[:20], encoding="utf-8")
    assert len(list(read_ledger(ledger))) == 1
    ledger.write_text("garbage\n" + json.dumps(entry) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="p.jsonl:1: not a ledger entry"):
        list(read_ledger(ledger))
    ledger.write_text(json.dumps({**entry, "colour": "blue"}) + "\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="p.jsonl:1"):
        list(read_ledger(ledger))
