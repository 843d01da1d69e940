"""The standard percentiles (OMB's p50 … p99.99, max): exact ones by nearest rank, histogram ones
interpolated within their buckets, and the points of the log-percentile distribution."""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.percentiles import STANDARD, distribution, summarise, summarise_buckets
from loadtest.scrape import Samples
from loadtest.scrapelog import ScrapeLog, batch_overall, over_time


def test_the_standard_set_is_omb_s() -> None:
    assert [share for _, share in STANDARD] == [50.0, 75.0, 95.0, 99.0, 99.9, 99.99]


def test_exact_percentiles_by_nearest_rank_over_ten_thousand_values() -> None:
    summary = summarise(float(v) for v in range(1, 10_001))
    assert (summary["p50"], summary["p75"], summary["p95"], summary["p99"]) == (5000, 7500, 9500, 9900)
    assert (summary["p999"], summary["p9999"], summary["max"], summary["count"]) == (9990, 9999, 10_000, 10_000)
    assert summarise([])["p99"] == 0.0


def test_histogram_percentiles_interpolate_and_max_is_the_highest_filled_bucket() -> None:
    before = {0.01: 10.0, 0.1: 10.0, 1.0: 10.0, float("inf"): 10.0}
    now = {0.01: 60.0, 0.1: 100.0, 1.0: 110.0, float("inf"): 110.0}
    summary = summarise_buckets(now, before, scale=1000.0)
    assert summary["count"] == 100
    assert summary["p50"] == pytest.approx(10.0)
    assert summary["p75"] == pytest.approx(10 + 90 * 25 / 40)
    assert summary["p99"] == pytest.approx(100 + 900 * 0.9)
    assert summary["max"] == pytest.approx(1000.0)


def test_observations_past_the_last_bound_report_that_bound_as_max() -> None:
    summary = summarise_buckets({0.5: 0.0, 1.0: 1.0, float("inf"): 3.0})
    assert summary["max"] == 1.0 and summary["p99"] == 1.0


def test_the_distribution_reaches_the_finest_percentile_the_sample_resolves_then_the_max() -> None:
    points = distribution(float(v) for v in range(1, 1001))
    assert points[0] == [0.0, 1.0] and points[-1] == [100.0, 1000.0]
    assert 99.8 < points[-2][0] <= 99.9 and all(a[0] < b[0] for a, b in zip(points, points[1:], strict=False))


def _scrape(at_ms: int, fast: float, slow: float, lag: float) -> tuple[int, Samples]:
    samples = Samples()
    samples.add_text("# TYPE govx_batch_processing_seconds histogram\n"
                     f'govx_batch_processing_seconds_bucket{{le="0.01"}} {fast}\n'
                     f'govx_batch_processing_seconds_bucket{{le="0.5"}} {slow}\n'
                     f'govx_batch_processing_seconds_bucket{{le="+Inf"}} {slow}\n'
                     "# TYPE govx_consumer_lag_records gauge\n"
                     f'govx_consumer_lag_records{{group="ns-x",topic="ns.src.a"}} {lag}\n')
    return at_ms, samples


def test_the_scrape_log_gives_batch_percentiles_per_interval_and_after_the_warm_up(tmp_path: Path) -> None:
    log = ScrapeLog()
    for at_ms, samples in (_scrape(1000, 0, 0, 0), _scrape(2000, 100, 100, 7), _scrape(3000, 100, 200, 3),
                           _scrape(4000, 100, 200, 0)):
        log.add(samples, at_ms=at_ms)
    log.save(tmp_path / "scrapes.json")
    points = ScrapeLog.load(tmp_path / "scrapes.json").points
    rows = over_time(points, start_ms=1000)
    assert [row["t"] for row in rows] == [1.0, 2.0, 3.0] and [r["lag_exchange"] for r in rows] == [7.0, 3.0, 0.0]
    assert rows[2]["batches"] == 0 and "batch_p50" not in rows[2], "no batches: no batch time, not 0 ms"
    assert rows[0]["batch_max"] == pytest.approx(10.0) and rows[1]["batch_p50"] > 10.0
    assert batch_overall(points)["count"] == 200
    after_warm_up = batch_overall(points, measured_from_ms=2000)
    assert after_warm_up["count"] == 100 and after_warm_up["p50"] > 10.0
