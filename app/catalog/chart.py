"""Server-side SVG line chart of price history: coordinates only, the template draws them.

Text in an SVG scales with it: a 640-unit-wide chart drawn 340 px wide on a phone shrank
11-unit labels to 6 px. So the chart is laid out twice, for a desktop's width and for a
phone's, each drawn at about its own size (CSS shows the one that fits), and the labels
stay the size they are given.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from app.catalog.queries import HistoryPoint


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    left: int          # room for the Y labels
    right: int
    top: int
    bottom: int        # room for the X labels
    x_labels: int      # about how many dates fit under the axis


LAYOUTS = {
    "wide": Layout(960, 300, 64, 12, 12, 28, 7),
    "narrow": Layout(320, 220, 50, 8, 10, 26, 4),
}


@dataclass(frozen=True)
class Series:
    key: int            # offer id
    label: str
    css: str            # series-N, coloured in catalog.css
    points: str         # "x,y x,y ..." for <polyline>
    last_fen: int
    min_fen: int
    max_fen: int


@dataclass(frozen=True)
class Chart:
    name: str                             # the layout: "wide" or "narrow"
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, str]]      # (y, label in yuan)
    x_ticks: list[tuple[float, date]]     # (x, day)
    plot: tuple[int, int, int, int]       # left, top, right, bottom


def _steps():
    """Round steps in fen, smallest first: 1, 2, 5, 10, 20, 25, 50, 100, 200, 250, 500, …"""
    magnitude = 1
    while True:
        for m in (1, 2, 5) if magnitude == 1 else (1, 2, 2.5, 5):
            yield int(m * magnitude)
        magnitude *= 10


def nice_ticks(lo: int, hi: int, least: int = 4) -> tuple[list[int], list[str]]:
    """Round values from lo to hi (fen) for the Y axis, and their labels in yuan.

    The largest round step that still gives `least` labels: steps grow by at most 2.5×,
    so there are never more than about twice as many.
    """
    if hi <= lo:
        return [lo], [_yuan(lo, 100)]
    chosen = 1
    for step in _steps():
        if hi // step - -(-lo // step) + 1 < least:
            break
        chosen = step
    first = -(-lo // chosen) * chosen
    ticks = list(range(first, hi + 1, chosen))
    return ticks, [_yuan(v, chosen) for v in ticks]


def _yuan(fen: int, step: int) -> str:
    """Fen as yuan with as many decimals as the step needs (exact: fen is a multiple of it)."""
    places = 0 if step % 100 == 0 else 1 if step % 10 == 0 else 2
    return f"{Decimal(fen).scaleb(-2):,.{places}f}"


def build(history: dict[int, list[HistoryPoint]], labels: dict[int, str], days: int, today: date,
          layout: str = "wide") -> Chart | None:
    """Scale every offer's points to one shared axis; None when there is nothing to draw."""
    series_points = {k: v for k, v in history.items() if v}
    if not series_points:
        return None
    box = LAYOUTS[layout]
    start = today - timedelta(days=days - 1)
    all_fen = [p.unit_fen for pts in series_points.values() for p in pts]
    lo, hi = min(all_fen), max(all_fen)
    pad = max((hi - lo) // 10, 100)
    lo, hi = max(lo - pad, 0), hi + pad
    right, bottom = box.width - box.right, box.height - box.bottom
    span_x, span_y = max(days - 1, 1), max(hi - lo, 1)

    def x(day: date) -> float:
        return round(box.left + (day - start).days / span_x * (right - box.left), 1)

    def y(fen: int) -> float:
        return round(bottom - (fen - lo) / span_y * (bottom - box.top), 1)

    series = []
    for i, (key, pts) in enumerate(sorted(series_points.items())):
        coords = " ".join(f"{x(p.day)},{y(p.unit_fen)}" for p in pts)
        fens = [p.unit_fen for p in pts]
        series.append(Series(key, labels.get(key, str(key)), f"series-{i % 8}", coords,
                             pts[-1].unit_fen, min(fens), max(fens)))
    ticks, tick_labels = nice_ticks(lo, hi)
    y_ticks = [(y(v), text) for v, text in zip(ticks, tick_labels)]
    step = max(days // (box.x_labels - 1), 1)
    x_ticks = [(x(start + timedelta(days=d)), start + timedelta(days=d)) for d in range(0, days, step)]
    return Chart(layout, box.width, box.height, series, y_ticks, x_ticks, (box.left, box.top, right, bottom))


def build_all(history: dict[int, list[HistoryPoint]], labels: dict[int, str], days: int,
              today: date) -> list[Chart]:
    """The chart in every layout (none when there is nothing to draw)."""
    charts = [build(history, labels, days, today, name) for name in LAYOUTS]
    return [c for c in charts if c is not None]
