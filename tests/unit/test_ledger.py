"""Ledgers survive a process killed mid-line: a restarted writer cuts the torn tail before appending,
and a folder written before that fix (a torn fragment with the next entry glued on) still reads."""

from __future__ import annotations

import json
from pathlib import Path

from exchange.runtime.ledger import LedgerWriter, Received, read_ledger

ENTRY = Received("e1", "440106/gongan", "g1", "gov.dlv.440106.gongan", 0, 7, 1000, 1001)


def whole(entry: Received) -> str:
    return json.dumps({"kind": "received", **entry.__dict__}, ensure_ascii=False) + "\n"


def test_a_writer_restarted_after_a_kill_mid_line_leaves_a_readable_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "receiver-0.jsonl"
    ledger.write_text(whole(ENTRY) + whole(ENTRY)[:37], encoding="utf-8")  # killed while writing entry 2
    second = Received("e2", "440106/gongan", "g1", "gov.dlv.440106.gongan", 0, 8, 1000, 1002)
    writer = LedgerWriter(ledger)
    writer.write(second)
    writer.close()
    assert list(read_ledger(ledger)) == [ENTRY, second]


def test_a_torn_fragment_glued_to_the_next_entry_keeps_that_entry(tmp_path: Path) -> None:
    ledger = tmp_path / "receiver-0.jsonl"
    second = Received("e2", "440106/gongan", "g1", "gov.dlv.440106.gongan", 0, 8, 1000, 1002)
    ledger.write_text(whole(ENTRY) + whole(ENTRY)[:50] + whole(second) + whole(ENTRY)[:12] + "\n", encoding="utf-8")
    assert list(read_ledger(ledger)) == [ENTRY, second]
