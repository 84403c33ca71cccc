"""What the comparison and product pages show, assembled from a fixed number of queries.

Every offer is costed and ranked (the recommendation and the cheapest other offer need
them all), but a page shows a window of them: the best PAGE_ROWS, and the next ones on
request from a cursor, so a product with thousands of offers sends a page of rows.
"""
from __future__ import annotations

from bisect import bisect_right
from urllib.parse import urlencode
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.catalog import queries, rankings
from app.catalog.compare import Need, Recommendation, Row, default_descending
from app.catalog.models import Product
from app.catalog.queries import HistoryPoint
from app.core import paging
from app.core.money import round_half_up, to_major
from app.core.numbers import format_percent

PAGE_ROWS = 20
CHART_SERIES = 8          # the chart's colours; more lines than that cannot be told apart


@dataclass
class Comparison:
    product: Product
    need: Need
    rows: list[Row]                      # the window shown, in table order
    recommendation: Recommendation | None
    start: int                           # 0-based place of rows[0] among all offers
    total: int                           # active offers
    serving: int                         # of which can serve the need
    more: str | None                     # cursor of the next window, None on the last
    bad_cursor: bool = False             # `after` was not a cursor of this order
    opened: Row | None = None            # the costed offer whose breakdown was asked for

    def calculator_query(self, row: Row) -> str:
        """The calculator's query string for a costed offer at this need: the same inputs, so
        the calculator shows the same numbers (its stored FX rate in force today is the offer's)."""
        f, c = row.facts, row.cost
        category = self.product.tax_category
        args = {"unit_price": str(to_major(c.unit_price_minor, f.currency)), "currency": f.currency,
                "quantity": str(self.need.quantity), "shipping": str(to_major(c.shipping_minor, f.currency)),
                "insurance": str(to_major(c.insurance_minor, f.currency)), "regime": f.regime.value,
                "ytd_cny": str(to_major(self.need.ytd_fen, "CNY"))}
        if category.active:
            args["category"] = category.code
        else:  # the calculator offers active categories only: give it the rates themselves
            args.update(vat_pct=format_percent(c.rates.vat), consumption_tax_pct=format_percent(c.rates.consumption),
                        tariff_pct=format_percent(c.rates.tariff))
        return urlencode(args)


def _ranked(product: Product, generation: str | None, need: Need) -> rankings.Ranking:
    return rankings.ranking(product.id, generation, product.tax_category.rates, need,
                            lambda: queries.offer_facts(product.id, need.today))


def _order(sort: str, descending: bool | None) -> str:
    """The name of a table order, which its cursors carry."""
    desc = default_descending(sort) if descending is None else descending
    return f"{sort}.{'desc' if desc else 'asc'}"


def comparison(product_id: int, need: Need, sort: str = "score", descending: bool | None = None,
               after: str = "", limit: int = PAGE_ROWS, opened: int | None = None) -> Comparison | None:
    """Every active offer of a product ranked for the need, and the window after `after`
    (with offer `opened`, when it is costed): two queries in all, one when the product's
    offers are in memory."""
    product, generation = queries.product_with_tax(product_id)
    if product is None or not product.active:
        return None
    ranked = _ranked(product, generation, need)
    rows, keys = ranked.ordered(sort, descending)
    name = _order(sort, descending)
    position = paging.decode(after, name) if after else None
    w = paging.window(rows, keys, name, position, limit)
    row = ranked.memo("by_offer", lambda: {r.facts.offer_id: r for r in ranked.rows}).get(opened)
    return Comparison(product, need, w.items, ranked.recommendation, w.start, w.total, ranked.serving,
                      w.next, bad_cursor=bool(after) and position is None,
                      opened=row if row is not None and row.cost is not None else None)


def row_json(row: Row) -> dict:
    f, c = row.facts, row.cost
    return {
        "offer_id": f.offer_id,
        "supplier": {"id": f.supplier_id, "name": f.supplier_name, "country": f.supplier_country,
                     "fulfilment": f.fulfilment, "on_time_rate": str(f.on_time_rate), "rating": str(f.rating)},
        "currency": f.currency,
        "unit_price_minor": c.unit_price_minor if c else f.unit_price_minor,
        "list_unit_price_minor": f.unit_price_minor,
        "regime": f.regime.value,
        "moq": f.moq, "order_increment": f.order_increment, "stock": f.stock,
        "lead_time_days": f.lead_time_days, "arrival": row.arrival.isoformat(),
        "fx_rate": str(f.fx_rate) if f.fx_rate is not None else None,
        "fx_day": f.fx_day.isoformat() if f.fx_day else None,
        "landed": c.as_dict() if c else None,
        "can_serve": row.can_serve,
        "reasons": [code for code, _ in row.reasons],
        "score": str(row.score) if row.can_serve else None,
        "recommended": row.recommended,
    }


# --- product profile ------------------------------------------------------------------------

@dataclass
class MarketPosition:
    row: Row
    percentile: int          # percent of offers (costed at one unit) at or below this one's landed unit
    vs_median_fen: int       # this offer's landed unit minus the median


@dataclass
class Profile:
    product: Product
    positions: list[MarketPosition]      # the window shown, cheapest landed unit first
    start: int
    total: int                           # offers costed at one unit
    more: str | None
    median_fen: int | None
    history: dict[int, list[HistoryPoint]]
    charted: list[Row]                   # the offers the chart draws: the cheapest few
    days: int


def median(values: list[int]) -> int | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    if len(s) % 2:
        return s[mid]
    return round_half_up(Decimal(s[mid - 1] + s[mid]) / 2)


def _percent(at_or_below: int, count: int) -> int:
    return round_half_up(Decimal(at_or_below) * 100 / count)


def percentile_rank(values: list[int], value: int) -> int:
    """Percent of values at or below `value` (1–100), rounded half up.

    This is what the profile page says it shows: "the share of offers that cost the same
    or less to land"; the cheapest of four offers is P25, the dearest P100.
    """
    return _percent(sum(1 for v in values if v <= value), len(values))


POSITIONS = "unit.asc"


def _positions(ranked: rankings.Ranking) -> tuple[list[Row], list[tuple], list[int]]:
    costed = sorted((r for r in ranked.rows if r.cost is not None),
                    key=lambda r: (r.cost.unit_landed_fen, r.facts.offer_id))
    keys = [(r.cost.unit_landed_fen, r.facts.offer_id) for r in costed]
    return costed, keys, [k[0] for k in keys]


def profile(product_id: int, days: int, today: date, after: str = "", limit: int = PAGE_ROWS) -> Profile | None:
    """The product, where its offers sit in the market at one unit (a window of them,
    cheapest first), and the price history of the cheapest few."""
    product, generation = queries.product_with_tax(product_id)
    if product is None:
        return None
    ranked = _ranked(product, generation, Need(quantity=1, today=today))
    costed, keys, units = ranked.memo("positions", lambda: _positions(ranked))
    mid = median(units)
    w = paging.window(costed, keys, POSITIONS, paging.decode(after, POSITIONS) if after else None, limit)
    # Sorted units: the share at or below each one is a binary search, not a scan per offer.
    positions = [MarketPosition(r, _percent(bisect_right(units, r.cost.unit_landed_fen), len(units)),
                                r.cost.unit_landed_fen - mid) for r in w.items]
    charted = costed[:CHART_SERIES]
    history = queries.price_history(product_id, days, today, [r.facts.offer_id for r in charted])
    return Profile(product, positions, w.start, w.total, w.next, mid, history, charted, days)
