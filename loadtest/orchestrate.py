"""`govx run`: one scenario on a broker, as separate processes, ending in a verified report.

Order: provision the namespace's topics and directory → start receivers → start exchange
workers → start producers on a shared start time → watch (live view; peak search) → drain
(the exchange and the receivers caught up with everything produced) → stop → reconcile the
ledgers into the report. Ctrl-C stops the producers at once, drains briefly, and still writes
a (partial) report.
"""

from __future__ import annotations

import os
import time
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.live import Live

from exchange.core.catalogue import Catalogue
from exchange.core.security import PLAINTEXT, ClientSecurity
from exchange.core.topics import Topics
from exchange.errors import RunError
from exchange.kafka.admin import Admin
from exchange.kafka.cluster import LocalCluster
from exchange.kafka.transport import kafka_transport
from loadtest.backlog import Backlog
from loadtest.faults import FaultInjector
from loadtest.folder import read_dead_letters, report_from_folder, save_dead_letters, save_faults
from loadtest.namespace import inbox_topics, write_plans
from loadtest.output import write_report
from loadtest.peak import PeakWatch
from loadtest.processes import Child, Children
from loadtest.progress import Progress
from loadtest.report import Report
from loadtest.run_access import RunAccess
from loadtest.runinfo import record_run
from loadtest.scenario import Scenario
from loadtest.scrape import Samples, scrape


@dataclass(frozen=True)
class RunOptions:
    """How to run one scenario."""

    scenario: Scenario
    report_dir: Path
    bootstrap: str
    namespace: str
    keep_topics: bool = False
    live: bool = True
    security: ClientSecurity = PLAINTEXT  # the run's own (admin) principal on a secure cluster
    secrets: Path | None = None  # the secrets file `govx principals provision` keeps
    cluster: LocalCluster | None = None  # the local cluster govx manages, for broker faults


class Run:
    """One run of a scenario."""

    def __init__(self, options: RunOptions, catalogue: Catalogue, console: Console) -> None:
        self.options, self.catalogue, self.console = options, catalogue, console
        self.topics = Topics(options.namespace)
        self.transport = kafka_transport(options.bootstrap, options.security)
        self.ledgers = options.report_dir / "ledgers"
        self.progress = Progress()
        self.children = Children(child_env(options), options.report_dir / "logs")
        self.access = RunAccess(options.security, options.secrets, catalogue, self.topics, self.children,
                                options.report_dir, options.scenario.receivers)
        self.peak = PeakWatch(options.scenario.peak, options.scenario.base_rate) if options.scenario.peak else None
        self.interrupted = False
        self.final = Samples()
        self.backlog = Backlog(options.bootstrap, self._groups, security=options.security)
        self.faults = FaultInjector(options.scenario.faults, self.children, self.backlog, options.cluster,
                                    coordinator=lambda: _coordinator(options.bootstrap, self.topics, options.security))

    def execute(self) -> Report:
        """Run the scenario and write its report; a child that fails to start raises `RunError`
        (after the report of what ran so far is written, so `govx report` can rebuild the folder)."""
        try:
            self._produce()
            self._finish()
        except RunError:
            self._stop()
            self.report()
            raise
        finally:
            self._stop()
        report = self.report()
        if not self.options.keep_topics:
            self.access.delete(self.transport)
        return report

    def _produce(self) -> None:
        try:
            self._prepare()
            self._start()
            self._watch()
        except KeyboardInterrupt:
            self.interrupted = True
            self.console.print("[yellow]interrupted: stopping the producers, then writing a partial report[/]")

    def _finish(self) -> None:
        """Stop the producers, then let the exchange and the receivers drain (briefly, if interrupted)."""
        self.children.stop(self.children.of("producer"))
        try:
            self._drain(15.0 if self.interrupted else self.options.scenario.drain_timeout_s)
        except KeyboardInterrupt:
            self.interrupted = True

    def _prepare(self) -> None:
        self.progress.phase = "provisioning"
        self.access.prepare(self.transport, self.options.scenario, self.options.report_dir)

    def _start(self) -> None:
        scenario, children = self.options.scenario, self.children
        self.progress.phase = "starting processes"
        receivers = [self.access.start(f"receiver-{i}", "receiver", ["consume", "--ledger",
                                    str(self.ledgers / f"receiver-{i}.jsonl")]) for i in range(scenario.receivers)]
        children.wait_ready(receivers)
        workers = [self.access.start(f"exchange-{i}", "exchange", ["exchange", "--worker-id", str(i),
                                  "--metrics-port", "0", *scenario.exchange_args()]) for i in range(scenario.workers)]
        children.wait_ready(workers)
        start_s = time.time() + 3.0
        if self.peak is not None:
            self.peak.results.clear()
        producers = [self.access.start(f"producer-{i}", "producer", ["produce", "--plan", str(path), "--ledger",
                                    str(self.ledgers / f"producer-{i}.jsonl")])
                     for i, path in enumerate(self._plans(start_s))]
        children.wait_ready(producers)
        self.faults.begin()
        self.progress.phase = "producing"

    def _plans(self, start_s: float) -> list[Path]:
        scenario = self.options.scenario
        steps = self.peak.steps() if self.peak else scenario.steps
        duration = self.peak.duration_s() if self.peak else scenario.duration_s
        return write_plans(scenario, self.options.report_dir, start_s, steps, duration)

    def _ports(self) -> list[int]:
        return [port for child in self.children.all if child.running() and (port := child.metrics_port)]

    def _refresh(self) -> None:
        samples = scrape(self._ports())
        if samples.values:
            self.progress.update(samples)
            self.final = samples

    def _watch(self) -> None:
        producers = self.children.of("producer")
        with self._live() as live:
            while any(child.running() for child in producers):
                self._refresh()
                self.faults.tick()
                if self.peak is not None and self.peak.broken(self.progress):
                    self.children.stop(producers)
                if live is not None:
                    live.update(self.progress.table(self.options.scenario.name))
                _pause(1.0)
        if self.peak is not None:
            self._refresh()
            self.peak.finish(self.progress)

    def _live(self) -> Live | nullcontext[None]:
        if not self.options.live:
            return nullcontext()
        return Live(self.progress.table(self.options.scenario.name), console=self.console, refresh_per_second=2)

    def _drain(self, timeout_s: float) -> None:
        """Wait until every fault has played out and the exchange and the receivers have committed
        everything there is; a cluster that does not answer for a moment is asked again."""
        self.progress.phase = "draining"
        deadline = time.monotonic() + timeout_s
        while not (self.faults.settled and self.backlog.drained()):
            self._refresh()
            self.faults.tick()
            if time.monotonic() > deadline:
                self.console.print(f"[yellow]drain timed out after {timeout_s:.0f}s[/]")
                return
            _pause(0.5)
        self.faults.tick()
        self._refresh()

    def _groups(self) -> dict[str, list[str]]:
        return {self.topics.run_exchange_group: [self.topics.source(r) for r in self.catalogue.resources],
                **self.access.receiver_groups(inbox_topics(self.transport, self.topics))}

    def _stop(self) -> None:
        self.progress.phase = "stopping"
        self.children.stop(self.children.of("producer"))
        self.children.stop(self.children.of("receiver"))
        self.children.stop(self.children.of("exchange"))
        self.children.stop_all()
        self.access.cleanup()

    def report(self) -> Report:
        dead = read_dead_letters(self.options.bootstrap, self.topics.dlq, self.options.security)
        save_dead_letters(dead, self.options.report_dir / "dead_letters.jsonl")
        record_run(self.options.report_dir, self.options.scenario, self.options.namespace, self.options.bootstrap,
                   self.final, self.progress.log, self.options.security)
        save_faults([record.as_json() for record in self.faults.records], self.options.report_dir / "faults.json")
        report = report_from_folder(self.options.report_dir, self.options.scenario.name, interrupted=self.interrupted)
        if self.peak is not None:
            report.details["peak"] = self.peak.summary()
        write_report(report, self.options.report_dir)
        return report


INHERITED = ("GOVX_DATA_DIR", "GOVX_CACHE_DIR", "GOVX_KAFKA_CLIENT", "GOVX_TRANSACTION_EVENTS", "GOVX_TRANSACTION_MS")


def child_env(options: RunOptions) -> dict[str, str]:
    """The environment of the run's children: this one's, less GOVX_ settings (but for where data lives,
    the Kafka client and the transaction sizes, which the run is about), plus the run's own."""
    env = {k: v for k, v in os.environ.items() if not k.upper().startswith("GOVX_") or k in INHERITED}
    return {**env, "GOVX_BOOTSTRAP_SERVERS": options.bootstrap,
            "GOVX_TOPIC_NAMESPACE": options.namespace,
            "GOVX_EXCHANGE_GROUP": Topics(options.namespace).run_exchange_group,
            "GOVX_METRICS_HOST": "127.0.0.1", "GOVX_PARTITIONS": str(options.scenario.partitions)}


def _pause(seconds: float) -> None:
    time.sleep(seconds)


def _coordinator(bootstrap: str, topics: Topics, security: ClientSecurity) -> int:
    """The broker coordinating worker 0's transactions (transactional id `<group>-0`)."""
    admin = Admin(bootstrap, security=security)
    try:
        return admin.transaction_coordinator(f"{topics.run_exchange_group}-0")
    finally:
        admin.close()


__all__ = ["Child", "Run", "RunOptions"]
