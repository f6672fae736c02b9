"""Small SVG charts, drawn in Python: a report or page that shows them needs no script and no
network (the page's CSP forbids inline scripts; the HTML report must read offline).

Each function returns one ``<svg>`` element as text, its labels escaped, with a ``<title>`` on
each mark so a pointer shows the exact value."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from html import escape

WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 64, 24, 36, 48
COLOURS = ("#c0392b", "#2166ac", "#1b9e77", "#7570b3", "#d95f02", "#666666")


def _ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / n
    step = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 5, 10):
        if raw <= m * step:
            step *= m
            break
    start = math.ceil(lo / step) * step
    out = []
    v = start
    while v <= hi + 1e-9:
        out.append(round(v, 10))
        v += step
    return out


def _log_ticks(lo: float, hi: float) -> list[float]:
    """1-2-5 ticks of a log axis (powers of ten only, when the range spans many)."""
    first, last = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    steps = (1,) if last - first > 4 else (1, 2, 5)
    return [round(m * 10.0**k, 10) for k in range(first, last + 1) for m in steps]


def _frame(title: str, x_label: str, y_label: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-label="{escape(title)}" class="chart" font-family="sans-serif" '
        'font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="{LEFT}" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
        f'<text x="{(LEFT + WIDTH - RIGHT) / 2}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"{escape(x_label)}</text>",
        f'<text transform="translate(14 {(TOP + HEIGHT - BOTTOM) / 2}) rotate(-90)" '
        f'text-anchor="middle">{escape(y_label)}</text>',
    ]


def _axes(
    parts: list[str],
    xlo: float,
    xhi: float,
    ylo: float,
    yhi: float,
    xfmt: str = "num",
    xlog: bool = False,
) -> tuple[Callable[[float], float], Callable[[float], float]]:
    x0, x1 = LEFT, WIDTH - RIGHT
    y0, y1 = HEIGHT - BOTTOM, TOP

    def fx(v: float) -> float:
        if xlog:
            a, b = math.log10(xlo), math.log10(xhi)
            return x0 + (math.log10(v) - a) / ((b - a) or 1) * (x1 - x0)
        return x0 + (v - xlo) / ((xhi - xlo) or 1) * (x1 - x0)

    def fy(v: float) -> float:
        return y0 - (v - ylo) / ((yhi - ylo) or 1) * (y0 - y1)

    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x1}" y2="{y0}" stroke="#333"/>')
    parts.append(f'<line x1="{x0}" y1="{y0}" x2="{x0}" y2="{y1}" stroke="#333"/>')
    for v in _ticks(ylo, yhi):
        y = fy(v)
        parts.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x1}" y2="{y:.1f}" stroke="#eee"/>')
        parts.append(f'<text x="{x0 - 6}" y="{y + 4:.1f}" text-anchor="end">{v:g}</text>')
    if xfmt == "date":
        first, last = date.fromordinal(int(xlo)), date.fromordinal(int(xhi))
        for year in range(first.year, last.year + 1):
            for month in (1, 7):
                d = date(year, month, 1).toordinal()
                if xlo <= d <= xhi:
                    x = fx(d)
                    parts.append(
                        f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + 4}" stroke="#333"/>'
                    )
                    parts.append(
                        f'<text x="{x:.1f}" y="{y0 + 18}" text-anchor="middle">'
                        f"{year}-{month:02d}</text>"
                    )
    else:
        ticks = _log_ticks(xlo, xhi) if xlog else _ticks(xlo, xhi)
        for v in ticks:
            if xlo <= v <= xhi:
                x = fx(v)
                parts.append(
                    f'<line x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y0 + 4}" stroke="#333"/>'
                )
                parts.append(f'<text x="{x:.1f}" y="{y0 + 18}" text-anchor="middle">{v:g}</text>')
    return fx, fy


def step_chart(
    series: Sequence[tuple[str, Sequence[tuple[str, float]]]],
    *,
    title: str,
    y_label: str,
    end: str | None = None,
) -> str:
    """Frontiers over time: each series a list of (ISO date, value) steps, drawn as a step
    line held until ``end`` (or the last date of any series)."""
    pts = [(date.fromisoformat(d).toordinal(), v) for _, s in series for d, v in s]
    if not pts:
        return ""
    xlo = min(p[0] for p in pts)
    xhi = max([p[0] for p in pts] + ([date.fromisoformat(end).toordinal()] if end else []))
    ylo, yhi = min(p[1] for p in pts), max(p[1] for p in pts)
    pad = (yhi - ylo) * 0.05 or 1.0
    parts = _frame(title, "release date", y_label)
    fx, fy = _axes(parts, xlo, xhi, ylo - pad, yhi + pad, xfmt="date")
    for i, (label, s) in enumerate(series):
        colour = COLOURS[i % len(COLOURS)]
        path = []
        last_y = None
        for d, v in s:
            x, y = fx(date.fromisoformat(d).toordinal()), fy(v)
            if last_y is None:
                path.append(f"M{x:.1f},{y:.1f}")
            else:
                path.append(f"H{x:.1f}V{y:.1f}")
            last_y = y
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(label)}: {v:g} on {escape(d)}</title></circle>"
            )
        path.append(f"H{fx(xhi):.1f}")
        parts.append(f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2"/>')
        parts.append(
            f'<text x="{LEFT + 10 + 140 * i}" y="{TOP + 4}" fill="{colour}" '
            f'font-weight="bold">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def scatter_chart(
    points: Sequence[tuple[str, float, float]],
    *,
    frontier: Sequence[str] = (),
    title: str,
    x_label: str,
    y_label: str,
    log_x: bool = True,
) -> str:
    """Points (label, x, y); those named in ``frontier`` joined by a line (a Pareto
    frontier), in the order given."""
    pts = [p for p in points if p[1] > 0 or not log_x]
    if not pts:
        return ""
    xs, ys = [p[1] for p in pts], [p[2] for p in pts]
    xlo, xhi = min(xs), max(xs)
    if log_x:
        xlo, xhi = xlo / 1.5, xhi * 1.5
    ylo, yhi = min(ys), max(ys)
    pad = (yhi - ylo) * 0.08 or 10.0
    parts = _frame(title, x_label, y_label)
    fx, fy = _axes(parts, xlo, xhi, ylo - pad, yhi + pad, xlog=log_x)
    where = {p[0]: (fx(p[1]), fy(p[2])) for p in pts}
    line = [where[n] for n in frontier if n in where]
    if len(line) > 1:
        d = "M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in line)
        parts.append(f'<path d="{d}" fill="none" stroke="{COLOURS[0]}" stroke-width="2"/>')
    on = set(frontier)
    for label, xv, yv in pts:
        x, y = where[label]
        colour = COLOURS[0] if label in on else COLOURS[1]
        parts.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{colour}">'
            f"<title>{escape(label)}: {xv:g}, {yv:g}</title></circle>"
        )
        # a label near the right edge is written leftwards, so it stays inside the chart
        right = x > WIDTH - RIGHT - 140
        anchor = ' text-anchor="end"' if right else ""
        tx = x - 6 if right else x + 6
        parts.append(
            f'<text x="{tx:.1f}" y="{y - 6:.1f}" font-size="10"{anchor}>{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def bar_chart(bars: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> str:
    """Horizontal bars (label, value), in the order given."""
    if not bars:
        return ""
    height = TOP + 22 * len(bars) + 16
    top = max(max(v for _, v in bars), 0.0) or 1.0
    label_w = 200
    span = WIDTH - label_w - RIGHT - 60
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" role="img" '
        f'aria-label="{escape(title)}" class="chart" font-family="sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        f'<text x="8" y="20" font-size="14" font-weight="bold">{escape(title)}</text>',
    ]
    for i, (label, value) in enumerate(bars):
        y = TOP + 22 * i
        w = max(value, 0.0) / top * span
        parts.append(
            f'<text x="{label_w - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="16" '
            f'fill="{COLOURS[1]}"><title>{escape(label)}: {value:g}{escape(unit)}</title></rect>'
        )
        parts.append(f'<text x="{label_w + w + 4:.1f}" y="{y + 15}">{value:g}{escape(unit)}</text>')
    parts.append("</svg>")
    return "\n".join(parts)


__all__ = ["bar_chart", "scatter_chart", "step_chart"]
