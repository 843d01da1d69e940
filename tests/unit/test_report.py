"""The run report's accounting on hand-made ledgers: lost, duplicated, unexpected, dead letters, latency."""

from __future__ import annotations

import math

import pytest

from exchange.core.regions import RegionScope
from exchange.runtime.ledger import Produced, Received
from loadtest.expected import GrantTerms, expected_deliveries
from loadtest.percentiles import percentile
from loadtest.report import DeadLetter, build_report
from loadtest.scrape import Samples, quantile

T0 = 1_800_000_000_000
TERMS = [
    GrantTerms("police@440106", "440106/gongan", "death_certificate", RegionScope.OWN_AND_BELOW, 0, 2 * T0, True),
    GrantTerms("police@440100", "440100/gongan", "death_certificate", RegionScope.OWN_AND_BELOW, 0, 2 * T0, True),
    GrantTerms("police@441802", "441802/gongan", "death_certificate", RegionScope.OWN, 0, 2 * T0, True),
    GrantTerms("subscription@440106", "440106/jiaoyu", "death_certificate", RegionScope.PROVINCE, 0, 2 * T0, False),
    GrantTerms("expired@440000", "440000/renshe", "death_certificate", RegionScope.PROVINCE, 0, T0 - 1, True),
]


def produced(n: int, region: str = "440106", fault: str | None = None) -> Produced:
    return Produced(f"e{n}", "death_certificate", f"k{n}", region, region, "weijian", "created", T0 + n * 1000,
                    T0 + n * 1000, fault)


def received(n: int, consumer: str, offset: int, latency: int = 50) -> Received:
    return Received(f"e{n}", consumer, "g", "inbox", 0, offset, T0 + n * 1000, T0 + n * 1000 + latency)


def test_expectations_follow_scope_eligibility_and_validity() -> None:
    events = [produced(1), produced(2, "441802"), produced(3, fault="bad_checksum")]
    assert expected_deliveries(events, TERMS) == {("e1", "440106/gongan"), ("e1", "440100/gongan"),
                                                  ("e2", "441802/gongan")}


def test_a_clean_run_is_ok() -> None:
    events = [produced(1), produced(2, "441802"), produced(3, fault="bad_checksum")]
    got = [received(1, "440106/gongan", 0), received(1, "440100/gongan", 0), received(2, "441802/gongan", 0)]
    report = build_report("t", events, got, TERMS, [DeadLetter("e3", "id.checksum")], {"out_of_scope": 4})
    assert (report.lost, report.duplicates, report.unexpected) == (0, 0, 0)
    assert report.ok and report.dead_letters == {"id.checksum": 1} == report.dead_letters_expected
    assert report.events_produced == 3 and report.events_valid == 2 and report.deliveries == 3


def test_a_missing_delivery_is_lost_and_the_run_fails() -> None:
    report = build_report("t", [produced(1)], [received(1, "440106/gongan", 0)], TERMS, [], {})
    assert report.lost == 1 and not report.ok
    assert report.lost_examples == [["e1", "440100/gongan"]]


def test_a_second_offset_is_a_duplicate_but_a_replayed_offset_is_not() -> None:
    got = [received(1, "440106/gongan", 0), received(1, "440106/gongan", 0), received(1, "440100/gongan", 3),
           received(1, "440100/gongan", 9)]
    report = build_report("t", [produced(1)], got, TERMS, [], {})
    assert report.duplicates == 1 and report.deliveries == 3 and not report.ok


def test_a_delivery_no_grant_calls_for_is_unexpected() -> None:
    got = [received(1, "440106/gongan", 0), received(1, "440100/gongan", 0), received(1, "440106/jiaoyu", 0)]
    report = build_report("t", [produced(1)], got, TERMS, [], {})
    assert report.unexpected == 1 and not report.ok


def test_dead_letters_must_match_the_faults_and_never_hold_a_valid_event() -> None:
    events = [produced(1), produced(2, fault="missing_field")]
    got = [received(1, "440106/gongan", 0), received(1, "440100/gongan", 0)]
    wrong_reason = build_report("t", events, got, TERMS, [DeadLetter("e2", "id.checksum")], {})
    assert not wrong_reason.dead_letters_match and not wrong_reason.ok
    valid_dead = build_report("t", events, got, TERMS, [DeadLetter("e2", "avro.decode"),
                                                        DeadLetter("e1", "avro.decode")], {})
    assert valid_dead.valid_events_dead_lettered == 1 and not valid_dead.ok


def test_latency_is_measured_from_the_intended_time_with_nearest_rank_percentiles() -> None:
    got = [received(1, "440106/gongan", i, latency=i + 1) for i in range(1000)]
    report = build_report("t", [produced(1)], got, TERMS[:1], [], {})
    assert report.latency_ms["p50"] == 500 and report.latency_ms["p99"] == 990
    assert report.latency_ms["p999"] == 999 and report.latency_ms["max"] == 1000
    assert percentile([], 50) == 0.0


def test_histogram_quantiles_interpolate_within_the_bucket() -> None:
    before = {0.1: 0.0, 0.5: 0.0, float("inf"): 0.0}
    now = {0.1: 50.0, 0.5: 100.0, float("inf"): 100.0}
    assert quantile(now, before, 0.5) == pytest.approx(0.1)
    assert quantile(now, before, 0.75) == pytest.approx(0.3)
    assert math.isnan(quantile(before, before, 0.99))


def test_scraped_samples_sum_over_processes() -> None:
    samples = Samples()
    text = '# TYPE govx_skips_total counter\ngovx_skips_total{resource="a",reason="expired"} 2.0\n'
    samples.add_text(text)
    samples.add_text(text.replace("2.0", "3.0"))
    assert samples.total("govx_skips_total", reason="expired") == 5.0
    assert samples.by_label("govx_skips_total", "reason") == {"expired": 5.0}


def test_the_timeline_has_every_second_with_publish_delay_and_dead_letters() -> None:
    events = [produced(0), produced(3, fault="missing_field")]
    got = [received(0, "440106/gongan", 0, latency=120), received(0, "440100/gongan", 0, latency=80)]
    report = build_report("t", events, got, TERMS, [DeadLetter("e3", "avro.decode")], {})
    assert [row["t"] for row in report.timeline] == [0.0, 1.0, 2.0, 3.0]
    assert report.timeline[1]["produced"] == 0 and report.timeline[3]["dead_lettered"] == 1
    assert (report.timeline[0]["delivered"], report.timeline[0]["p50"], report.timeline[0]["max"]) == (2, 80, 120)


def test_the_warm_up_is_left_out_of_latency_but_never_out_of_the_accounting() -> None:
    events = [produced(0), produced(5)]
    got = [received(0, "440106/gongan", 0, latency=3000), received(0, "440100/gongan", 0, latency=3000),
           received(5, "440106/gongan", 1, latency=40)]
    report = build_report("t", events, got, TERMS, [], {}, warmup_s=2)
    assert report.latency_ms["max"] == 40 and report.latency_ms["count"] == 1
    assert report.lost == 1 and report.publish_delay_ms["count"] == 1
