"""Reading the `/metrics` of the run's processes, for the live view and the report."""

from __future__ import annotations

import math
import urllib.request
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from prometheus_client.parser import text_string_to_metric_families

Key = tuple[str, frozenset[tuple[str, str]]]


@dataclass
class Samples:
    """Samples of one or more scrapes, summed over processes."""

    values: dict[Key, float] = field(default_factory=dict)

    def add_text(self, text: str) -> None:
        for family in text_string_to_metric_families(text):
            for sample in family.samples:
                key = (sample.name, frozenset(sample.labels.items()))
                self.values[key] = self.values.get(key, 0.0) + float(sample.value)

    def total(self, name: str, **match: str) -> float:
        wanted = set(match.items())
        return sum(v for (n, labels), v in self.values.items() if n == name and wanted <= labels)

    def by_label(self, name: str, label: str) -> dict[str, float]:
        found: dict[str, float] = {}
        for (n, labels), value in self.values.items():
            if n == name:
                key = dict(labels).get(label, "")
                found[key] = found.get(key, 0.0) + value
        return found

    def buckets(self, name: str) -> dict[float, float]:
        """Cumulative bucket counts of a histogram, summed over its other labels."""
        found: dict[float, float] = {}
        for (n, labels), value in self.values.items():
            if n == f"{name}_bucket":
                bound = float(dict(labels)["le"])
                found[bound] = found.get(bound, 0.0) + value
        return found


def scrape(ports: Iterable[int], timeout_s: float = 2.0) -> Samples:
    """Scrape `127.0.0.1:<port>/metrics` of each port; unreachable ones are skipped."""
    samples = Samples()
    for port in ports:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout_s) as response:  # noqa: S310
                samples.add_text(response.read().decode())
        except OSError:
            continue
    return samples


def quantile(now: Mapping[float, float], before: Mapping[float, float], q: float) -> float:
    """The `q` quantile of the observations between two scrapes of a histogram (upper bound of its
    bucket, as Prometheus' histogram_quantile would interpolate within it); NaN without any."""
    window = sorted((bound, count - before.get(bound, 0.0)) for bound, count in now.items())
    total = window[-1][1] if window else 0.0
    if total <= 0:
        return math.nan
    lower_bound, lower_count = 0.0, 0.0
    for bound, count in window:
        if count >= q * total:
            if math.isinf(bound):
                return lower_bound
            share = (q * total - lower_count) / max(count - lower_count, 1e-9)
            return lower_bound + (bound - lower_bound) * share
        lower_bound, lower_count = bound, count
    return window[-1][0]
