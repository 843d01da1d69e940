"""Fault injection in `govx run`: the scenario's `[[faults]]`, unplanned deaths, and time to recover.

Each planned fault fires `at_s` seconds after production starts: `kill` (SIGKILL), `stop`
(SIGSTOP) or `term` (SIGTERM) on a worker, receiver, producer or broker node. With
`restart_after_s` the target comes back that much later — started again under the same name (a
worker keeps its transactional id, so it fences its predecessor) or, after `stop`, continued with
SIGCONT; without it the target stays down for the rest of the run. A process that dies unplanned
is recorded as a fault too, and the run goes on.

A fault's *time to recover* runs from its injection until the exchange and the receivers have
committed everything that had been produced when it struck (the backlog's marks), and the target
is back if it was to come back. None means it never recovered before the report.
"""

from __future__ import annotations

import logging
import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from exchange.errors import RunError, TransportError
from exchange.kafka.cluster import LocalCluster
from loadtest.backlog import Backlog, Marks
from loadtest.processes import Child, Children
from loadtest.scenario import FaultPlan

log = logging.getLogger(__name__)
SIGNALS = {"kill": signal.SIGKILL, "stop": signal.SIGSTOP, "term": signal.SIGTERM}
CHILD_NAMES = {"worker": "exchange", "receiver": "receiver", "producer": "producer"}


@dataclass
class FaultRecord:
    """What happened to one fault: when it struck, when its target came back, how long recovery took."""

    target: str
    action: str
    planned: bool
    at_s: float
    restarted_at_s: float | None = None
    recovered_s: float | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Open:
    record: FaultRecord
    plan: FaultPlan | None
    marks: Marks | None
    back: bool


class FaultInjector:
    """Fires the planned faults on time, restarts their targets, notices deaths, times recoveries."""

    def __init__(self, plans: tuple[FaultPlan, ...], children: Children, backlog: Backlog,
                 cluster: LocalCluster | None = None, *, coordinator: Callable[[], int] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._pending = sorted(plans, key=lambda plan: plan.at_s)
        self._coordinator = coordinator
        self._nodes: dict[int, int] = {}  # fault number -> the broker node it struck
        self._children, self._backlog, self._cluster, self._clock = children, backlog, cluster, clock
        self._open: list[_Open] = []
        self.records: list[FaultRecord] = []
        self._downed: set[str] = set()  # children taken down on purpose (not unplanned deaths)
        self._dead: set[int] = set()
        self._t0 = clock()

    def begin(self) -> None:
        """Production starts now: `at_s` counts from here."""
        self._t0 = self._clock()

    @property
    def settled(self) -> bool:
        """No fault left to fire and every target that was to come back is back."""
        return not self._pending and all(item.back for item in self._open)

    def tick(self) -> None:
        """Fire what is due, restart what is due, record deaths, time recoveries."""
        now = self._clock() - self._t0
        while self._pending and self._pending[0].at_s <= now:
            self._inject(self._pending.pop(0), now)
        for item in self._open:
            plan = item.plan
            if not item.back and plan is not None and plan.restart_after_s is not None \
                    and now >= item.record.at_s + plan.restart_after_s:
                self._restore(plan)
                item.back, item.record.restarted_at_s = True, round(now, 1)
        self._children.poll_ready()
        self._notice_deaths(now)
        self._time_recoveries(now)

    def _inject(self, plan: FaultPlan, now: float) -> None:
        marks = self._backlog.marks()
        record = FaultRecord(plan.target, plan.action, True, round(now, 1))
        try:
            self._strike(plan, record)
        except (RunError, TransportError) as exc:
            record.note = str(exc)
        log.warning("fault at %.1f s: %s %s", now, plan.action, plan.target)
        self.records.append(record)
        self._open.append(_Open(record, plan, marks, back=plan.restart_after_s is None))

    def _strike(self, plan: FaultPlan, record: FaultRecord) -> None:
        if plan.role == "broker":
            cluster = self._need_cluster(plan)
            node = self._node(plan)
            record.note = f"node {node}"
            self._nodes[id(plan)] = node
            {"kill": cluster.kill, "stop": cluster.pause, "term": cluster.stop}[plan.action](node)
            return
        child = self._children.named(f"{CHILD_NAMES[plan.role]}-{plan.index}")
        self._downed.add(child.name)
        self._children.signal(child, SIGNALS[plan.action])

    def _restore(self, plan: FaultPlan) -> None:
        if plan.role == "broker":
            cluster, node = self._need_cluster(plan), self._nodes.get(id(plan))
            if node is None:
                return
            if plan.action == "stop":
                cluster.resume(node)
            else:
                cluster.start(node, wait=False)
            return
        child = self._children.named(f"{CHILD_NAMES[plan.role]}-{plan.index}")
        if plan.action == "stop":
            self._children.signal(child, signal.SIGCONT)
            return
        if child.running():  # still finishing after SIGTERM: give it a moment, then make sure
            try:
                child.process.wait(10)
            except subprocess.TimeoutExpired:
                self._children.signal(child, signal.SIGKILL)
                child.process.wait(10)
        self._children.restart(child)
        self._downed.discard(child.name)

    def _node(self, plan: FaultPlan) -> int:
        """The node a broker fault strikes: its number, or worker 0's transaction coordinator now."""
        if plan.index >= 1:
            return plan.index
        if self._coordinator is None:
            raise RunError(f"{plan.target}: no way to find the transaction coordinator in this run")
        return self._coordinator()

    def _need_cluster(self, plan: FaultPlan) -> LocalCluster:
        if self._cluster is None:
            raise RunError(f"{plan.target}: broker faults need the local cluster govx manages "
                           "(`govx kafka up --brokers 3`), not GOVX_BOOTSTRAP_SERVERS")
        return self._cluster

    def _notice_deaths(self, now: float) -> None:
        for child in self._children.all:
            if child.running() or id(child) in self._dead or child.name in self._downed:
                continue
            if child.role == "producer" and child.process.returncode == 0:
                continue
            self._dead.add(id(child))
            note = f"exit status {child.process.returncode}: {_last_line(child)}"
            log.error("%s died unplanned (%s)", child.name, note)
            record = FaultRecord(child.name, "died", False, round(now, 1), note=note)
            self.records.append(record)
            self._open.append(_Open(record, None, self._backlog.marks(), back=True))

    def _time_recoveries(self, now: float) -> None:
        for item in [item for item in self._open if item.back and item.record.recovered_s is None]:
            if item.marks is None:
                item.marks = self._backlog.marks()
            elif self._backlog.reached(item.marks):
                item.record.recovered_s = round(now - item.record.at_s, 1)


def _last_line(child: Child) -> str:
    lines = child.log_tail(5).splitlines()
    return lines[-1][:300] if lines else "(nothing logged)"
