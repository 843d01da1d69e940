"""The report folder a run leaves, and rebuilding its report from it (`govx report`).

Besides the ledgers: `grants.json`, `dead_letters.jsonl`, `skipped.json`, `scrapes.json` (the
batch-time histogram and lag at each scrape) and `run.json` (what ran: loadtest/runinfo.py).
Folders of older runs lack the last two; their reports then say nothing of them.
"""

from __future__ import annotations

import json
from pathlib import Path

from exchange.errors import ConfigError
from exchange.kafka.client import Reader
from exchange.runtime.ledger import read_ledgers
from loadtest.expected import load_terms
from loadtest.report import DeadLetter, Report, build_report
from loadtest.scrapelog import ScrapeLog, batch_overall, over_time

REQUIRED = ("ledgers", "grants.json", "dead_letters.jsonl")


def read_dead_letters(bootstrap: str, topic: str) -> list[DeadLetter]:
    reader = Reader(bootstrap, [topic])
    try:
        messages = reader.read_to_end(60)
    finally:
        reader.close()
    letters = []
    for message in messages:
        headers = dict(message.headers)
        event_id = headers.get("ce_id")
        letters.append(DeadLetter(event_id.decode("utf-8", "replace") if event_id else None,
                                  headers.get("govx_error", b"unknown").decode()))
    return letters


def save_dead_letters(letters: list[DeadLetter], path: Path) -> None:
    path.write_text("".join(json.dumps(letter.__dict__) + "\n" for letter in letters), encoding="utf-8")


def report_from_folder(folder: Path, scenario: str, *, interrupted: bool = False) -> Report:
    """Rebuild the report from what a run left in its folder (`govx report` calls this too)."""
    missing = [name for name in REQUIRED if not (folder / name).exists()]
    if missing:
        raise ConfigError(f"{folder} is not a run's report folder: it has no {', '.join(missing)}")
    produced, received = read_ledgers(folder / "ledgers")
    terms = load_terms(folder / "grants.json")
    letters = [DeadLetter(**json.loads(line)) for line in
               (folder / "dead_letters.jsonl").read_text(encoding="utf-8").splitlines() if line]
    skipped_path = folder / "skipped.json"
    skipped = json.loads(skipped_path.read_text(encoding="utf-8")) if skipped_path.exists() else {}
    facts_path = folder / "run.json"
    facts = json.loads(facts_path.read_text(encoding="utf-8")) if facts_path.exists() else {}
    warmup_s = float(facts.get("scenario", {}).get("as_run", {}).get("warmup_s", 0.0))
    report = build_report(scenario, produced, received, terms, letters, skipped, interrupted=interrupted,
                          warmup_s=warmup_s)
    report.run = facts
    points = ScrapeLog.load(folder / "scrapes.json").points
    report.batch_processing_ms = batch_overall(points, report.started_ms + int(warmup_s * 1000))
    report.scraped = over_time(points, report.started_ms)
    return report
