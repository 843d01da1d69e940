"""What ran: the facts a report must carry to be compared with another (`run.json`, `report.json["run"]`).

The namespace, the versions of govx, the Kafka broker and the Kafka clients, the machine's
cores and memory, the scenario exactly as run (with a hash, so two reports of "the same"
scenario can be told apart when they are not) and the settings that shape performance.
"""

from __future__ import annotations

import hashlib
import inspect
import json
import os
import platform
import time
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.errors import TransportError
from exchange.kafka.admin import Admin
from exchange.kafka.broker_layout import kafka_version
from exchange.kafka.client import Publisher
from exchange.runtime.settings import load_settings
from exchange.worker import WorkerConfig
from loadtest.scenario import Scenario
from loadtest.scrape import Samples
from loadtest.scrapelog import ScrapeLog

CLIENTS = ("kafka-python", "confluent-kafka")


def package_version(name: str) -> str | None:
    """The installed version of a distribution, None when it is not installed."""
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def versions(bootstrap: str, security: ClientSecurity = PLAINTEXT) -> dict[str, Any]:
    return {"govx": package_version("govx"), "python": platform.python_version(),
            "kafka_broker": _broker_version(bootstrap, security), "kafka_local_broker_pinned": kafka_version(),
            "clients": {name: package_version(name) for name in CLIENTS}}


def _broker_version(bootstrap: str, security: ClientSecurity) -> str | None:
    try:
        admin = Admin(bootstrap, timeout_s=5.0, security=security)
    except TransportError:
        return None
    try:
        return admin.broker_version()
    except TransportError:
        return None
    finally:
        admin.close()


def machine() -> dict[str, Any]:
    """Cores (all, and those this process may run on) and physical memory."""
    pages, page_size = os.sysconf("SC_PHYS_PAGES"), os.sysconf("SC_PAGE_SIZE")
    return {"cores": os.cpu_count(), "cores_usable": len(os.sched_getaffinity(0)),
            "memory_bytes": pages * page_size, "system": platform.system(), "machine": platform.machine()}


def scenario_as_run(scenario: Scenario) -> dict[str, Any]:
    """The scenario after every override (`--duration`), its sha256, and its source file's. The hash
    covers the load and the processes, not how the run is judged (`baseline`, `thresholds`), so a
    scenario that names its baseline hashes like the run it is compared with."""
    as_run = {k: v for k, v in asdict(scenario).items() if k != "source"}
    judged = {k: v for k, v in as_run.items() if k not in ("baseline", "thresholds")}
    digest = hashlib.sha256(json.dumps(judged, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    source = Path(scenario.source) if scenario.source else None
    file_digest = hashlib.sha256(source.read_bytes()).hexdigest() if source and source.is_file() else None
    return {"name": scenario.name, "source": scenario.source, "sha256": digest, "file_sha256": file_digest,
            "as_run": as_run}


def performance_settings(scenario: Scenario) -> dict[str, Any]:
    """The knobs that shape a run's figures: process counts, partitions, batching and commits."""
    worker, settings = WorkerConfig("0"), load_settings()
    linger = inspect.signature(Publisher.__init__).parameters["linger_ms"].default
    return {"workers": scenario.workers, "partitions": scenario.partitions, "producers": scenario.producers,
            "receivers": scenario.receivers, "kafka_client": settings.kafka_client,
            "exchange_max_batch": worker.max_batch, "exchange_transaction_events": settings.transaction_events,
            "exchange_transaction_ms": settings.transaction_ms,
            "exchange_poll_ms": worker.poll_ms, "exchange_transaction_timeout_ms": worker.transaction_timeout_ms,
            "exchange_batch_delay_ms": scenario.exchange_batch_delay_ms,
            "exchange_commit": "consumed offsets committed in each transaction (polls sized by count and time)",
            "receiver_commit": "after each poll, once its deliveries are in the ledger",
            "producer": {"acks": "all", "idempotent": True, "linger_ms": linger}}


def run_facts(scenario: Scenario, namespace: str, bootstrap: str,
              security: ClientSecurity = PLAINTEXT) -> dict[str, Any]:
    return {"namespace": namespace, "bootstrap": bootstrap, "security": security.protocol,
            "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "versions": versions(bootstrap, security),
            "machine": machine(), "scenario": scenario_as_run(scenario), "settings": performance_settings(scenario)}


def record_run(folder: Path, scenario: Scenario, namespace: str, bootstrap: str, final: Samples,
               log: ScrapeLog, security: ClientSecurity = PLAINTEXT) -> None:
    """Leave in the report folder what the ledgers cannot say: skips, scrapes and the run's facts."""
    skipped = {k: int(v) for k, v in final.by_label("govx_skips_total", "reason").items()}
    (folder / "skipped.json").write_text(json.dumps(skipped), encoding="utf-8")
    log.save(folder / "scrapes.json")
    facts = run_facts(scenario, namespace, bootstrap, security)
    (folder / "run.json").write_text(json.dumps(facts, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
