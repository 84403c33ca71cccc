"""What the comparison and product pages show, assembled from a fixed number of queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from app.catalog import queries
from app.catalog.compare import Need, Recommendation, Row, rank, recommend, sort_rows
from app.catalog.models import Product
from app.catalog.queries import HistoryPoint
from app.core.money import round_half_up


@dataclass
class Comparison:
    product: Product
    need: Need
    rows: list[Row]
    recommendation: Recommendation | None


def comparison(product_id: int, need: Need, sort: str = "score", descending: bool | None = None) -> Comparison | None:
    """Every active offer of a product costed at the need's quantity: two queries in all."""
    product = queries.product_with_tax(product_id)
    if product is None or not product.active:
        return None
    facts = queries.offer_facts(product_id, need.today)
    rows = rank(facts, product.tax_category.rates, need)
    return Comparison(product, need, sort_rows(rows, sort, descending), recommend(rows, need))


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
    rows: list[Row]
    positions: list[MarketPosition]
    median_fen: int | None
    history: dict[int, list[HistoryPoint]]
    days: int


def median(values: list[int]) -> int | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    if len(s) % 2:
        return s[mid]
    return round_half_up(Decimal(s[mid - 1] + s[mid]) / 2)


def percentile_rank(values: list[int], value: int) -> int:
    """Percent of values at or below `value` (1–100), rounded half up.

    This is what the profile page says it shows: "the share of offers that cost the same
    or less to land"; the cheapest of four offers is P25, the dearest P100.
    """
    at_or_below = sum(1 for v in values if v <= value)
    return round_half_up(Decimal(at_or_below) * 100 / len(values))


def profile(product_id: int, days: int, today: date) -> Profile | None:
    """The product, its offers at one unit, where each sits in the market, and price history."""
    product = queries.product_with_tax(product_id)
    if product is None:
        return None
    facts = queries.offer_facts(product_id, today)
    rows = rank(facts, product.tax_category.rates, Need(quantity=1, today=today))
    costed = [r for r in rows if r.cost is not None]
    units = [r.cost.unit_landed_fen for r in costed]
    mid = median(units)
    positions = [MarketPosition(r, percentile_rank(units, r.cost.unit_landed_fen), r.cost.unit_landed_fen - mid)
                 for r in sorted(costed, key=lambda r: r.cost.unit_landed_fen)]
    history = queries.price_history(product_id, days, today)
    return Profile(product, rows, positions, mid, history, days)
