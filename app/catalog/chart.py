"""Server-side SVG line chart of price history: coordinates only, the template draws them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from app.catalog.queries import HistoryPoint

WIDTH, HEIGHT = 640, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 12, 12, 28


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
    width: int
    height: int
    series: list[Series]
    y_ticks: list[tuple[float, int]]      # (y, fen)
    x_ticks: list[tuple[float, date]]     # (x, day)
    plot: tuple[int, int, int, int]       # left, top, right, bottom


def _nice_ticks(lo: int, hi: int, count: int = 4) -> list[int]:
    if hi <= lo:
        return [lo]
    raw = (hi - lo) / count
    magnitude = 10 ** (len(str(int(raw))) - 1) if raw >= 1 else 1
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    start = (lo // step) * step
    ticks, v = [], start
    while v <= hi + step:
        if lo <= v <= hi:
            ticks.append(v)
        v += step
    return ticks or [lo, hi]


def build(history: dict[int, list[HistoryPoint]], labels: dict[int, str], days: int, today: date) -> Chart | None:
    """Scale every offer's points to one shared axis; None when there is nothing to draw."""
    series_points = {k: v for k, v in history.items() if v}
    if not series_points:
        return None
    start = today - timedelta(days=days - 1)
    all_fen = [p.unit_fen for pts in series_points.values() for p in pts]
    lo, hi = min(all_fen), max(all_fen)
    pad = max((hi - lo) // 10, 100)
    lo, hi = max(lo - pad, 0), hi + pad
    right, bottom = WIDTH - RIGHT, HEIGHT - BOTTOM
    span_x, span_y = max(days - 1, 1), max(hi - lo, 1)

    def x(day: date) -> float:
        return round(LEFT + (day - start).days / span_x * (right - LEFT), 1)

    def y(fen: int) -> float:
        return round(bottom - (fen - lo) / span_y * (bottom - TOP), 1)

    series = []
    for i, (key, pts) in enumerate(sorted(series_points.items())):
        coords = " ".join(f"{x(p.day)},{y(p.unit_fen)}" for p in pts)
        fens = [p.unit_fen for p in pts]
        series.append(Series(key, labels.get(key, str(key)), f"series-{i % 8}", coords,
                             pts[-1].unit_fen, min(fens), max(fens)))
    y_ticks = [(y(v), v) for v in _nice_ticks(lo, hi)]
    step = max(days // 5, 1)
    x_ticks = [(x(start + timedelta(days=d)), start + timedelta(days=d)) for d in range(0, days, step)]
    return Chart(WIDTH, HEIGHT, series, y_ticks, x_ticks, (LEFT, TOP, right, bottom))
