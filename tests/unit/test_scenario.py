"""Scenarios: the shipped ones load; unknown keys and impossible values name the file, key and reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from exchange.core.catalogue import Catalogue, load_catalogue
from exchange.core.paths import scenarios_dir
from exchange.errors import ConfigError
from loadtest.plan import ProducerPlan, SourcePlan
from loadtest.scenario import load_scenario

BASE = """
name = "t"
duration_s = 10
[[nodes]]
division = "440106"
departments = ["weijian", "gongan"]
rate = 1.5
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue()


@pytest.mark.parametrize("name", ["smoke", "city", "province", "peak"])
def test_the_shipped_scenarios_load(catalogue: Catalogue, name: str) -> None:
    scenario = load_scenario(name, catalogue)
    assert scenario.nodes and scenario.base_rate > 0
    assert (scenario.peak is not None) == (name == "peak")


def test_every_shipped_file_is_one_of_the_documented_scenarios() -> None:
    assert {p.stem for p in scenarios_dir().glob("*.toml")} == {"smoke", "city", "province", "peak"}


def top(text: str, line: str) -> str:
    """Add a top-level key (TOML puts anything after [[nodes]] inside the node)."""
    return text.replace("duration_s = 10", f"duration_s = 10\n{line}")


def write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_a_scenario_file_reads_rates_per_department(tmp_path: Path, catalogue: Catalogue) -> None:
    scenario = load_scenario(write(tmp_path, BASE + "[nodes.rates]\nweijian = 0.25\n"), catalogue)
    assert dict(scenario.nodes[0].rates) == {"weijian": 0.25, "gongan": 1.5}
    assert scenario.with_duration(3).duration_s == 3


def test_the_headline_says_the_duration_as_run_not_the_file_s(catalogue: Catalogue) -> None:
    """`govx run --scenario city --duration 30` used to announce "60 s with a 10 s ramp"."""
    city = load_scenario("city", catalogue).with_duration(30)
    assert "30 s with a 10 s ramp" in city.headline and "60 s" not in city.headline
    short = load_scenario("city", catalogue).with_duration(5)
    assert "5 s with a 5 s ramp" in short.headline and short.ramp_up_s == 5


def test_the_gate_settings_load_and_the_throttle_reaches_the_workers(tmp_path: Path, catalogue: Catalogue) -> None:
    text = top(BASE, 'baseline = "reports/last"\nwarmup_s = 2\nexchange_batch_delay_ms = 250') + \
        "[thresholds]\nmax_p99_regression = 0.3\n"
    scenario = load_scenario(write(tmp_path, text), catalogue)
    assert (scenario.baseline, scenario.warmup_s, scenario.thresholds) == ("reports/last", 2.0,
                                                                            {"max_p99_regression": 0.3})
    assert scenario.exchange_args() == ["--batch-delay-ms", "250"] and "throttled by 250 ms" in scenario.headline
    assert load_scenario(write(tmp_path, BASE), catalogue).exchange_args() == []


@pytest.mark.parametrize(("change", "key", "reason"), [
    (lambda t: t + "colour = 1\n", "colour", "unknown key"),
    (lambda t: t.replace("duration_s = 10", "duration_s = -1"), "duration_s", "outside"),
    (lambda t: t.replace("duration_s = 10", 'duration_s = "long"'), "duration_s", "not a number"),
    (lambda t: t.replace("rate = 1.5", "rate = 0"), "nodes[0].rate", "outside"),
    (lambda t: t.replace('"440106"', '"449999"'), "nodes[0].division", "not a division"),
    (lambda t: t.replace('"gongan"', '"jiaoyu"'), "nodes[0].departments", "originates no events"),
    (lambda t: top(t, "workers = 0"), "workers", "outside"),
    (lambda t: top(t, "workers = 1.5"), "workers", "not a whole number"),
    (lambda t: top(t, "bad_share = 2"), "bad_share", "outside"),
    (lambda t: t + "[[steps]]\nat_s = 99\nfactor = 2\n", "steps[0].at_s", "outside"),
    (lambda t: t + "[peak]\nfactor = 0.5\n", "peak.factor", "outside"),
    (lambda t: t + "[[nodes]]\ndivision = \"440106\"\nrate = 1\nspeed = 2\n", "nodes[1].speed", "unknown key"),
    (lambda t: t.replace("[[nodes]]", "[[places]]"), "places", "unknown key"),
    (lambda t: top(t, "baseline = 3"), "baseline", "not the path of a report folder"),
    (lambda t: top(t, "exchange_batch_delay_ms = -5"), "exchange_batch_delay_ms", "outside"),
    (lambda t: top(t, "warmup_s = 60"), "warmup_s", "outside"),
    (lambda t: t + "[thresholds]\nmax_p99 = 1\n", "thresholds.max_p99", "unknown key"),
])
def test_an_impossible_scenario_names_file_key_and_reason(tmp_path: Path, catalogue: Catalogue, change,  # type: ignore[no-untyped-def]
                                                          key: str, reason: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_scenario(write(tmp_path, change(BASE)), catalogue)
    message = str(caught.value)
    assert message.startswith("scenario.toml: ") and key in message and reason in message


def test_an_unknown_scenario_name_lists_the_shipped_ones(catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError, match="smoke"):
        load_scenario("marathon", catalogue)


def test_invalid_toml_is_named(tmp_path: Path, catalogue: Catalogue) -> None:
    with pytest.raises(ConfigError, match="scenario.toml: not valid TOML"):
        load_scenario(write(tmp_path, "name = "), catalogue)


def test_a_producer_plan_round_trips_and_applies_steps(tmp_path: Path) -> None:
    plan = ProducerPlan((SourcePlan("440106", "weijian", 2.0),), 30, 1_800_000_000.0, 5, ramp_s=5,
                        steps=((10.0, 3.0),), bad_share=0.1)
    plan.write(tmp_path / "plan.json")
    assert ProducerPlan.read(tmp_path / "plan.json") == plan
    (source,) = plan.simulator_sources()
    assert source.profile.rate_at(12) == pytest.approx(6.0)
    assert source.profile.rate_at(2.5) == pytest.approx(1.0)
