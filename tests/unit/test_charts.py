"""chart.html: Plotly charts in one self-contained page, rendered by a real headless Chromium.

Chromium comes from Debian's `chromium` package (`make tools` installs it). The page is opened
from a file with the network off for the browser's sake (nothing to fetch: plotly.js is inline);
the DOM it dumps after running the page's scripts must hold every chart drawn with its points.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from exchange.core.regions import RegionScope
from exchange.runtime.ledger import Produced, Received
from loadtest import charts
from loadtest.expected import GrantTerms
from loadtest.output import write_report
from loadtest.report import DeadLetter, Report, build_report
from loadtest.scrape import Samples
from loadtest.scrapelog import ScrapeLog, over_time

T0 = 1_800_000_000_000
CHROMIUM_HINT = ("chromium is missing: install Debian's `chromium` package (`make tools`, or "
                 "`apt-get install -y chromium`)")
TERMS = [GrantTerms("police@440106", "440106/gongan", "death_certificate", RegionScope.OWN_AND_BELOW, 0, 2 * T0,
                    True)]


def sample_report(seconds: int = 12, per_second: int = 40) -> Report:
    produced, received = [], []
    for n in range(seconds * per_second):
        intended = T0 + n * 1000 // per_second
        fault = "missing_field" if n % 25 == 0 else None
        produced.append(Produced(f"e{n}", "death_certificate", f"k{n}", "440106", "440106", "weijian", "created",
                                 intended, intended + n % 7, fault))
        if fault is None:
            received.append(Received(f"e{n}", "440106/gongan", "g", "inbox", 0, n, intended,
                                     intended + 20 + (n * 37) % 180))
    letters = [DeadLetter(p.event_id, "avro.decode") for p in produced if p.fault]
    report = build_report("sample", produced, received, TERMS, letters, {})
    log = ScrapeLog()
    for second in range(seconds + 1):
        samples = Samples()
        samples.add_text(_scrape_text(second))
        log.add(samples, at_ms=T0 + second * 1000)
    report.scraped = over_time(log.points, T0)
    return report


def _scrape_text(second: int) -> str:
    fast, slow = 30 * second, 30 * second + second * (second + 1) // 2  # a slow share that grows
    return ("# TYPE govx_batch_processing_seconds histogram\n"
            f'govx_batch_processing_seconds_bucket{{le="0.01"}} {fast}\n'
            f'govx_batch_processing_seconds_bucket{{le="0.05"}} {slow}\n'
            f'govx_batch_processing_seconds_bucket{{le="+Inf"}} {slow}\n'
            f"govx_batch_processing_seconds_count {slow}\ngovx_batch_processing_seconds_sum 1.0\n"
            "# TYPE govx_consumer_lag_records gauge\n"
            f'govx_consumer_lag_records{{group="ns-x",topic="ns.src.a"}} {second % 4 * 10}\n')


def test_the_page_holds_every_chart_and_plotly_once_with_no_network_reference(tmp_path: Path) -> None:
    page = charts.render("govx run — sample", sample_report(), {"verdict": "OK <fine>"})
    for name in charts.CHARTS:
        assert f'id="{name}"' in page
    assert page.count("plotly.js v") == 1 and "OK &lt;fine&gt;" in page
    assert not re.search(r"<script[^>]+src=", page), "plotly.js must be inline, not fetched"


def test_summary_labels_are_whole_in_the_text_and_the_page(tmp_path: Path) -> None:
    write_report(sample_report(), tmp_path)
    summary = (tmp_path / "summary.txt").read_text(encoding="utf-8")
    page = (tmp_path / "chart.html").read_text(encoding="utf-8")
    assert "e2e latency ms        p50 " in summary and "p99.99 " in summary
    assert "<th>e2e latency ms</th><td>p50 " in page and "<th>publish delay ms</th>" in page


def _chromium() -> str:
    found = shutil.which("chromium") or shutil.which("chromium-browser")
    if found is None:
        pytest.fail(CHROMIUM_HINT)
    return found


def _browse(page: Path, *mode: str) -> subprocess.CompletedProcess[str]:
    profile = page.parent / "profile"
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               f"--user-data-dir={profile}", "--virtual-time-budget=10000", *mode, page.as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True)


def test_chromium_renders_every_chart_with_its_points(tmp_path: Path) -> None:
    write_report(sample_report(), tmp_path)
    dom = _browse(tmp_path / "chart.html", "--dump-dom").stdout
    for name in charts.CHARTS:
        start = dom.index(f'id="{name}"')
        chart = dom[start:dom.index("</svg>", dom.index('class="main-svg"', start))]
        assert 'class="scatterlayer' in chart, f"{name}: no traces drawn"
        paths = re.findall(r'class="js-line" d="M([^"]+)"', chart)
        assert paths and max(path.count("L") for path in paths) >= 5, f"{name}: its lines have no points"
