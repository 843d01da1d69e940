"""The live view of a run: rates, lag, latency and errors, refreshed every second."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field

from rich.table import Table

from loadtest.scrape import Samples, quantile
from loadtest.scrapelog import ScrapeLog


@dataclass
class Snapshot:
    """One scrape of every process, and when it was taken."""

    at: float
    samples: Samples


@dataclass
class Progress:
    """Turns successive scrapes into the numbers an operator watches."""

    phase: str = "starting"
    started: float = field(default_factory=time.monotonic)
    previous: Snapshot | None = None
    current: Snapshot | None = None
    log: ScrapeLog = field(default_factory=ScrapeLog)

    def update(self, samples: Samples) -> None:
        self.previous, self.current = self.current, Snapshot(time.monotonic(), samples)
        self.log.add(samples)

    def rate(self, name: str, **match: str) -> float:
        if self.previous is None or self.current is None:
            return 0.0
        elapsed = max(self.current.at - self.previous.at, 1e-3)
        return (self.current.samples.total(name, **match) - self.previous.samples.total(name, **match)) / elapsed

    def total(self, name: str, **match: str) -> float:
        return self.current.samples.total(name, **match) if self.current else 0.0

    def p99_ms(self) -> float:
        if self.current is None:
            return math.nan
        before = self.previous.samples.buckets("govx_end_to_end_latency_seconds") if self.previous else {}
        return quantile(self.current.samples.buckets("govx_end_to_end_latency_seconds"), before, 0.99) * 1000

    def table(self, title: str) -> Table:
        table = Table(title=f"{title} — {self.phase} — {time.monotonic() - self.started:.0f}s", min_width=72)
        for column in ("", "total", "per second"):
            table.add_column(column, justify="right" if column else "left")
        for label, name in (("produced", "govx_produced_events_total"), ("consumed", "govx_events_consumed_total"),
                            ("delivered", "govx_deliveries_total"), ("received", "govx_received_total"),
                            ("skipped", "govx_skips_total"), ("dead letters", "govx_dead_letters_total")):
            table.add_row(label, f"{self.total(name):.0f}", f"{self.rate(name):.1f}")
        p99 = self.p99_ms()
        table.add_row("lag (records / s)", f"{self.total('govx_consumer_lag_records'):.0f}",
                      f"{self.total('govx_consumer_lag_seconds'):.1f}")
        table.add_row("e2e latency p99", "—" if math.isnan(p99) else f"{p99:.0f} ms", "")
        table.add_row("beyond grant", f"{self.total('govx_receiver_violations_total'):.0f}", "")
        return table
