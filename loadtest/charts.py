"""`chart.html`: the run's charts, drawn by Plotly, in one self-contained page.

The page embeds plotly.js (Plotly's Python package ships it), so it opens offline from the report
folder anywhere — no network, no server. Five charts, each a `<div id=…>`:

- `throughput` — events produced, deliveries received and events dead-lettered per second;
- `latency` — end-to-end latency percentiles per second (p50 … p99.99, max);
- `distribution` — end-to-end latency and publish delay by percentile, on a log-percentile axis
  (the HdrHistogram view: the tail gets the room);
- `lag` — records behind the exchange, at each scrape;
- `batches` — the exchange's processing time per batch (p50, p99, max), per scrape interval.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio

from loadtest.percentiles import LABELS
from loadtest.report import Report

TICKS = (50.0, 90.0, 99.0, 99.9, 99.99, 99.999)
CHARTS = ("throughput", "latency", "distribution", "lag", "batches")
MARGIN = {"l": 70, "r": 20, "t": 50, "b": 50}
LEGEND = {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"}


def _lines(rows: Sequence[Mapping[str, float]], names: Mapping[str, str], **layout: Any) -> go.Figure:
    figure = go.Figure()
    for key, label in names.items():
        points = [row for row in rows if key in row]
        figure.add_trace(go.Scatter(x=[row["t"] for row in points], y=[row[key] for row in points],
                                    mode="lines+markers", name=label, marker={"size": 4}))
    figure.update_layout(height=340, margin=MARGIN, legend=LEGEND, xaxis_title="seconds since the first intended send",
                         **layout)
    return figure


def _odds(percent: float) -> float:
    """Where a percentile sits on the log-percentile axis: 1 / (1 − q) (50 % → 2, 99 % → 100)."""
    return 1.0 / max(1.0 - percent / 100, 1e-9)


def distribution_figure(curves: Mapping[str, Sequence[Sequence[float]]]) -> go.Figure:
    """Value by percentile, the percentile axis logarithmic in 1 / (1 − q)."""
    figure, widest = go.Figure(), 2.0
    for name, every in curves.items():
        points = [pair for pair in every if pair[0] < 100]  # max sits at infinity here; the table has it
        widest = max([widest, *(_odds(p) for p, _ in points)])
        figure.add_trace(go.Scatter(x=[_odds(p) for p, _ in points], y=[v for _, v in points], mode="lines",
                                    name=name, customdata=[p for p, _ in points],
                                    hovertemplate="p%{customdata:.3f}: %{y:.1f} ms"))
    ticks = [p for p in TICKS if _odds(p) <= widest * 1.01]
    figure.update_layout(
        height=340, margin=MARGIN, legend=LEGEND, yaxis_title="ms",
        xaxis={"type": "log", "title": "percentile", "range": [0, math.log10(widest)],
               "tickvals": [1.0, *(_odds(p) for p in ticks)], "ticktext": ["0%", *(f"{p:g}%" for p in ticks)]})
    return figure


def figures(report: Report) -> dict[str, go.Figure]:
    delivering = [row for row in report.timeline if row.get("delivered")]
    return {
        "throughput": _lines(report.timeline, {"produced": "produced", "delivered": "delivered",
                                               "dead_lettered": "dead-lettered"}, yaxis_title="per second",
                             yaxis_rangemode="tozero"),
        "latency": _lines(delivering, LABELS, yaxis_title="end-to-end latency (ms)",
                          yaxis_type="log"),
        "distribution": distribution_figure({"end-to-end latency": report.latency_distribution,
                                             "publish delay": report.publish_delay_distribution}),
        "lag": _lines(report.scraped, {"lag_exchange": "exchange (records behind)"}, yaxis_title="records",
                      yaxis_rangemode="tozero"),
        "batches": _lines(report.scraped, {"batch_p50": "p50", "batch_p99": "p99", "batch_max": "max (bucket)"},
                          yaxis_title="ms per batch", yaxis_rangemode="tozero"),
    }


TITLES = {
    "throughput": "Throughput per second of intended send time",
    "latency": "End-to-end latency percentiles per second (from the intended send time; log scale)",
    "distribution": "Latency distribution by percentile (log-percentile axis)",
    "lag": "Consumer lag of the exchange (at each scrape)",
    "batches": "Exchange processing time per batch (from govx_batch_processing_seconds, per scrape interval)",
}


def render(title: str, report: Report, summary: Mapping[str, str]) -> str:
    """The whole page: a summary table, then the charts, plotly.js embedded once."""
    facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in summary.items())
    panels = []
    for index, (name, figure) in enumerate(figures(report).items()):
        panels.append(f"<h2>{html.escape(TITLES[name])}</h2>" + pio.to_html(
            figure, full_html=False, include_plotlyjs=index == 0, div_id=name, config={"displaylogo": False}))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}}
table{{border-collapse:collapse}}th,td{{text-align:left;padding:2px 12px 2px 0;vertical-align:top}}
th{{white-space:nowrap}}
h2{{font-size:16px;margin:28px 0 4px}}</style></head>
<body><h1>{html.escape(title)}</h1><table>{facts}</table>
{"".join(panels)}
</body></html>
"""
