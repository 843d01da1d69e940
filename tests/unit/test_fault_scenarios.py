"""`[[faults]]` in a scenario, the backlog the drain and the recovery times read, and the report's
fault lines — the parts of fault injection that need no broker (the rest: tests/integration/test_cluster.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.paths import scenarios_dir
from exchange.errors import ConfigError, TransportError
from loadtest.backlog import Backlog, caught_up
from loadtest.output import fault_facts
from loadtest.scenario import FaultPlan, load_scenario

BASE = """
name = "t"
duration_s = 10
workers = 2
receivers = 2
[[nodes]]
division = "440106"
departments = ["weijian"]
rate = 1
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


def scenario_with(tmp_path: Path, catalogue: Catalogue, faults: str) -> tuple[FaultPlan, ...]:
    path = tmp_path / "faulty.toml"
    path.write_text(BASE + faults, encoding="utf-8")
    return load_scenario(str(path), catalogue).faults


def test_faults_are_read_in_order_of_the_file(tmp_path: Path, catalogue: Catalogue) -> None:
    faults = scenario_with(tmp_path, catalogue, """
[[faults]]
at_s = 4
action = "kill"
target = "broker-2"
restart_after_s = 10
[[faults]]
at_s = 2
action = "term"
target = "worker-1"
""")
    assert faults == (FaultPlan(4.0, "kill", "broker-2", 10.0), FaultPlan(2.0, "term", "worker-1", None))
    assert (faults[0].role, faults[0].index) == ("broker", 2)


@pytest.mark.parametrize(("fault", "complaint"), [
    ('at_s = 1\naction = "explode"\ntarget = "worker-0"', "faults[0].action: 'explode' is not one of kill, stop, term"),
    ('at_s = 1\naction = "kill"\ntarget = "zookeeper-1"', "faults[0].target: 'zookeeper-1' is not worker-N"),
    ('at_s = 1\naction = "kill"\ntarget = "worker-2"', "worker-2 does not exist: the scenario runs 2 workers"),
    ('at_s = 1\naction = "kill"\ntarget = "broker-0"', "broker nodes are numbered from 1"),
    ('at_s = 1\naction = "kill"\ntarget = "producer-0"', "a producer can be stopped and continued"),
    ('at_s = 1\naction = "stop"\ntarget = "producer-0"', "a producer can be stopped and continued"),
    ('action = "kill"\ntarget = "worker-0"', "faults[0].at_s: is required"),
    ('at_s = 1\naction = "kill"\ntarget = "worker-0"\nrestart_after_s = 0', "faults[0].restart_after_s: 0"),
    ('at_s = 1\naction = "kill"\ntarget = "worker-0"\nwhen = 3', "faults[0].when: unknown key"),
])
def test_an_impossible_fault_names_its_key_and_reason(tmp_path: Path, catalogue: Catalogue, fault: str,
                                                       complaint: str) -> None:
    with pytest.raises(ConfigError, match=complaint.replace("(", r"\(").replace("[", r"\[")):
        scenario_with(tmp_path, catalogue, "[[faults]]\n" + fault + "\n")


def test_a_group_has_caught_up_once_it_committed_to_the_mark_everywhere() -> None:
    marks = {"x": {("s", 0): 10, ("s", 1): 0}, "r": {("i", 0): 4}}
    assert caught_up(marks, {"x": {("s", 0): 10}, "r": {("i", 0): 5}})
    assert not caught_up(marks, {"x": {("s", 0): 9}, "r": {("i", 0): 5}})
    assert not caught_up(marks, {"x": {("s", 0): 10}})


class FlakyAdmin:
    """The offsets of a group, after one NotCoordinatorError (a coordinator moving while the run drains)."""

    failures = 1

    def __init__(self, bootstrap: str, **_: object) -> None: ...

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        if FlakyAdmin.failures:
            FlakyAdmin.failures -= 1
            raise TransportError("reading offsets failed: NotCoordinatorError", retriable=True)
        return {("s", 0): 3}

    def close(self) -> None: ...


def test_the_drain_asks_again_when_the_coordinator_moves() -> None:
    backlog = Backlog("b", lambda: {"x": ["s"]}, ends=lambda _b, _t, _s: {("s", 0): 3},
                      settled_ends=lambda _b, _t, _s: {("s", 0): 3}, admin=FlakyAdmin)  # type: ignore[arg-type]
    assert backlog.drained() is False  # not known yet: no crash
    assert backlog.drained() is True


def test_the_drain_waits_for_open_transactions_but_a_recovery_mark_does_not() -> None:
    open_transactions = [1]

    def settled(_b: str, _t: list[str], _s: object) -> dict[tuple[str, int], int]:
        if open_transactions:
            open_transactions.pop()
            raise TransportError("a transaction is still open on 1 partition(s), e.g. s/0", retriable=True)
        return {("s", 0): 3}

    backlog = Backlog("b", lambda: {"x": ["s"]}, ends=lambda _b, _t, _s: {("s", 0): 2}, settled_ends=settled,
                      admin=lambda *_a, **_k: CommittedAt(3))  # type: ignore[arg-type]
    assert backlog.marks() == {"x": {("s", 0): 2}}  # a fault's mark: the LSO now, open transaction or not
    assert backlog.drained() is False  # the drain: not while a transaction is open
    assert backlog.drained() is True


class CommittedAt:
    def __init__(self, offset: int) -> None:
        self.offset = offset

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        return {("s", 0): self.offset}

    def close(self) -> None: ...


def test_a_fatal_cluster_error_is_not_swallowed() -> None:
    def refuse(_b: str, _t: list[str], _s: object) -> dict[tuple[str, int], int]:
        raise TransportError("not authorised", retriable=False)

    with pytest.raises(TransportError, match="not authorised"):
        Backlog("b", lambda: {"x": ["s"]}, ends=refuse).marks()


def test_the_report_lists_each_fault_with_its_time_to_recover() -> None:
    lines = [f"{label} {value}" for label, value in fault_facts([
        {"target": "broker-2", "action": "kill", "planned": True, "at_s": 5.0, "restarted_at_s": 20.0,
         "recovered_s": 17.5, "note": ""},
        {"target": "exchange-1", "action": "died", "planned": False, "at_s": 9.0, "restarted_at_s": None,
         "recovered_s": None, "note": "exit status 2: error: worker could not recover"},
    ])]
    assert lines[0].endswith("kill broker-2 at 5.0 s, back at 20.0 s: recovered in 17.5 s")
    assert "UNPLANNED died exchange-1 at 9.0 s: NOT recovered by the end of the run (exit status 2" in lines[1]


@pytest.mark.parametrize("name", ["coordinator-kill", "node-down", "worker-down"])
def test_the_shipped_fault_scenarios_load(catalogue: Catalogue, name: str) -> None:
    scenario = load_scenario(str(scenarios_dir() / "faults" / f"{name}.toml"), catalogue)
    assert len(scenario.faults) == 1 and scenario.faults[0].at_s < scenario.duration_s
