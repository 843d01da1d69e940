"""`chart.html`: throughput and latency percentiles over the run, one self-contained page.

Plain inline SVG — no script, no network — so it opens from the report folder anywhere.
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

WIDTH, HEIGHT, PAD = 860, 260, 48
COLOURS = {"produced": "#1f77b4", "delivered": "#2ca02c", "p50": "#9467bd", "p95": "#ff7f0e", "p99": "#d62728"}


def _polyline(xs: Sequence[float], ys: Sequence[float], x_max: float, y_max: float, colour: str) -> str:
    points = " ".join(
        f"{PAD + (x / x_max) * (WIDTH - 2 * PAD):.1f},{HEIGHT - PAD - (y / y_max) * (HEIGHT - 2 * PAD):.1f}"
        for x, y in zip(xs, ys, strict=True))
    return f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'


def _axes(x_max: float, y_max: float, y_label: str) -> str:
    ticks = []
    for i in range(5):
        y_value = y_max * i / 4
        y = HEIGHT - PAD - (HEIGHT - 2 * PAD) * i / 4
        ticks.append(f'<line x1="{PAD}" y1="{y:.1f}" x2="{WIDTH - PAD}" y2="{y:.1f}" stroke="#eee"/>'
                     f'<text x="{PAD - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">{y_value:.0f}</text>')
        x_value = x_max * i / 4
        x = PAD + (WIDTH - 2 * PAD) * i / 4
        label = f"{x_value:.1f}" if x_max < 20 else f"{x_value:.0f}"
        ticks.append(f'<text x="{x:.1f}" y="{HEIGHT - PAD + 16}" text-anchor="middle" font-size="11">'
                     f'{label}s</text>')
    frame = (f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>'
             f'<line x1="{PAD}" y1="{PAD}" x2="{PAD}" y2="{HEIGHT - PAD}" stroke="#333"/>'
             f'<text x="12" y="{PAD - 14}" font-size="12">{html.escape(y_label)}</text>')
    return "".join(ticks) + frame


def _legend(names: Sequence[str]) -> str:
    return "".join(f'<rect x="{PAD + 120 * i}" y="8" width="12" height="12" fill="{COLOURS[n]}"/>'
                   f'<text x="{PAD + 120 * i + 16}" y="18" font-size="12">{n}</text>' for i, n in enumerate(names))


def _panel(rows: Sequence[Mapping[str, float]], names: Sequence[str], y_label: str) -> str:
    xs = [row["t"] for row in rows] or [0.0]
    x_max = max(max(xs), 1.0)
    y_max = max([row[n] for row in rows for n in names] + [1.0]) * 1.05
    lines = "".join(_polyline(xs, [row[n] for row in rows], x_max, y_max, COLOURS[n]) for n in names) if rows else ""
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
            f'role="img" aria-label="{html.escape(y_label)}">{_axes(x_max, y_max, y_label)}{lines}'
            f'{_legend(names)}</svg>')


def render(title: str, rows: Sequence[Mapping[str, float]], summary: Mapping[str, str]) -> str:
    """The whole page: a summary table, throughput per second, latency percentiles per second."""
    facts = "".join(f"<tr><th>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>" for k, v in summary.items())
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:system-ui,sans-serif;margin:24px;color:#222}}table{{border-collapse:collapse}}
th,td{{text-align:left;padding:2px 12px 2px 0}}h2{{font-size:16px;margin:24px 0 4px}}</style></head>
<body><h1>{html.escape(title)}</h1><table>{facts}</table>
<h2>Throughput (per second of intended send time)</h2>{_panel(rows, ["produced", "delivered"], "events / s")}
<h2>End-to-end latency from the intended send time</h2>{_panel(rows, ["p50", "p95", "p99"], "ms")}
</body></html>
"""
