"""Which offer serves a buyer's need best, and why: pure ranking over loaded rows.

The rows come from one query (queries.offer_facts); everything here is arithmetic on
them, so the page, the JSON API and the tests see the same ranking.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, localcontext
from typing import NamedTuple

from app.catalog.landed_cost import (
    PRECISION,
    LandedCost,
    LandedCostError,
    PriceTier,
    Regime,
    ShippingRule,
    TaxRates,
    compute,
)
from app.core.money import round_half_up

ANY = "any"
SORT_KEYS = ("score", "unit", "total", "tax", "lead", "rating", "on_time", "stock")


@dataclass(frozen=True)
class Need:
    quantity: int = 1
    needed_by: date | None = None
    w_cost: int = 60
    w_speed: int = 20
    w_reliability: int = 20
    regime: str = ANY           # "any", "retail" or "general"
    ytd_fen: int = 0            # the consignee's cross-border retail purchases this year
    today: date = field(default_factory=date.today)


class OfferFacts(NamedTuple):
    """What the ranking needs to know about one offer and its supplier.

    A named tuple rather than a frozen dataclass: one is built per offer on every first
    view of a product, and a tuple is built in one step instead of a call per field.
    """

    offer_id: int
    supplier_id: int
    supplier_name: str
    supplier_country: str
    fulfilment: str
    currency: str
    unit_price_minor: int
    tiers: tuple[PriceTier, ...]
    moq: int
    order_increment: int
    stock: int
    shipping: ShippingRule
    insurance_rate: Decimal
    lead_time_days: int
    regime: Regime
    valid_from: date
    valid_to: date | None
    on_time_rate: Decimal
    rating: Decimal
    fx_rate: Decimal | None
    fx_day: date | None


@dataclass
class Row:
    facts: OfferFacts
    cost: LandedCost | None
    arrival: date
    reasons: list[tuple[str, dict]]        # (code, values) why the offer cannot serve
    score: Decimal = Decimal(0)
    recommended: bool = False

    @property
    def can_serve(self) -> bool:
        return not self.reasons

    @property
    def reliability(self) -> Decimal:
        return reliability(self.facts)


@dataclass(frozen=True)
class Recommendation:
    """The recommended row and the numbers that explain it.

    Cost claims are made against `cheapest_other`, the cheapest OTHER offer that can
    serve (by landed unit cost, as the table shows it), never against the runner-up by
    score: a sentence saying "cheaper than the next offer" must not hide a cheaper one.
    """

    row: Row
    runner_up: Row | None                # second by score
    unit_saving_fen: int | None          # cheapest other's landed unit − this one's (< 0: this one costs more)
    days_sooner: int | None              # cheapest other's lead time − this one's (> 0: this one is faster)
    days_before_need: int | None         # days to spare before the needed-by date
    only_option: bool
    cheapest_other: Row | None = None


def reliability(f: OfferFacts) -> Decimal:
    """0–1: three parts on-time delivery, one part rating out of five."""
    return (Decimal(f.on_time_rate) * 3 + Decimal(f.rating) / 5) / 4


def landed(f: OfferFacts, quantity: int, rates: TaxRates, ytd_fen: int = 0) -> LandedCost:
    """Landed cost of `quantity` units of this offer; the FX rate must be known."""
    from app.catalog.landed_cost import unit_price_for

    unit = unit_price_for(quantity, f.unit_price_minor, f.tiers)
    goods = unit * quantity
    with localcontext() as ctx:  # stored data may be out of bounds; compute() refuses it
        ctx.prec = PRECISION
        insurance = round_half_up(Decimal(goods) * Decimal(f.insurance_rate))
    return compute(currency=f.currency, unit_price_minor=f.unit_price_minor, tiers=f.tiers,
                   quantity=quantity, fx_rate=Decimal(f.fx_rate), rates=rates, regime=f.regime,
                   shipping_minor=f.shipping.cost(quantity, goods), insurance_minor=insurance,
                   ytd_fen=ytd_fen)


def unmet(f: OfferFacts, need: Need, arrival: date) -> list[tuple[str, dict]]:
    """Why this offer cannot serve `need` (codes and values for the wording), empty when it can."""
    q, reasons = need.quantity, []
    if not (f.valid_from <= need.today and (f.valid_to is None or need.today <= f.valid_to)):
        reasons.append(("price_not_valid", {"valid_from": f.valid_from, "valid_to": f.valid_to}))
    if need.regime != ANY and f.regime.value != need.regime:
        reasons.append(("regime", {"regime": f.regime.value}))
    if q < f.moq:
        reasons.append(("moq", {"moq": f.moq}))
    elif q % f.order_increment:
        reasons.append(("increment", {"increment": f.order_increment}))
    if f.stock < q:
        reasons.append(("stock", {"stock": f.stock}))
    if need.needed_by and arrival > need.needed_by:
        reasons.append(("late", {"days": (arrival - need.needed_by).days, "arrival": arrival}))
    if f.fx_rate is None:
        reasons.append(("no_fx", {"currency": f.currency}))
    return reasons


def cost_offers(offers: list[OfferFacts], rates: TaxRates, quantity: int,
                ytd_fen: int = 0) -> list[LandedCost | str | None]:
    """Each offer's landed cost at `quantity`: None without an FX rate, the field's name
    when the stored data cannot be costed. The costly part of a ranking (exact Decimals
    per offer), so kept apart from the need's other parts, which are cheap to apply."""
    costs: list[LandedCost | str | None] = []
    for f in offers:
        if f.fx_rate is None:
            costs.append(None)
            continue
        try:
            costs.append(landed(f, quantity, rates, ytd_fen))
        except LandedCostError as e:
            costs.append(e.field)
    return costs


def rank(offers: list[OfferFacts], rates: TaxRates, need: Need,
         costs: list[LandedCost | str | None] | None = None) -> list[Row]:
    """Cost every offer at the need's quantity, mark the ones that cannot serve, and score the rest.

    The score weighs cheapness (cheapest landed unit ÷ this one), speed (fastest lead
    time ÷ this one, counted in days + 1) and reliability, by the buyer's weights.
    `costs`, when given, are cost_offers() of the same offers at the need's quantity.
    """
    if costs is None:
        costs = cost_offers(offers, rates, need.quantity, need.ytd_fen)
    rows: list[Row] = []
    for f, cost in zip(offers, costs):
        arrival = need.today + timedelta(days=f.lead_time_days)
        reasons = unmet(f, need, arrival)
        if isinstance(cost, str):
            reasons.append(("invalid", {"field": cost}))
            cost = None
        rows.append(Row(f, cost, arrival, reasons))

    serving = [r for r in rows if r.can_serve]
    if serving:
        weights = [Decimal(max(w, 0)) for w in (need.w_cost, need.w_speed, need.w_reliability)]
        if sum(weights) == 0:
            weights = [Decimal(1), Decimal(0), Decimal(0)]
        total_w = sum(weights)
        cheapest = min(r.cost.unit_landed_fen for r in serving)
        fastest = min(r.facts.lead_time_days for r in serving)
        for r in serving:
            cost_s = Decimal(max(cheapest, 1)) / Decimal(max(r.cost.unit_landed_fen, 1))
            speed_s = Decimal(fastest + 1) / Decimal(r.facts.lead_time_days + 1)
            r.score = ((weights[0] * cost_s + weights[1] * speed_s + weights[2] * r.reliability)
                       / total_w).quantize(Decimal("0.0001"))
        best = max(serving, key=lambda r: (r.score, -r.cost.unit_landed_fen, -r.facts.offer_id))
        best.recommended = True
    return rows


def recommend(rows: list[Row], need: Need) -> Recommendation | None:
    """The recommended row and the numbers that explain it, or None when nothing can serve."""
    serving = sorted((r for r in rows if r.can_serve),
                     key=lambda r: (-r.score, r.cost.unit_landed_fen, r.facts.offer_id))
    if not serving:
        return None
    best = serving[0]
    runner = serving[1] if len(serving) > 1 else None
    before = (need.needed_by - best.arrival).days if need.needed_by else None
    others = serving[1:]
    cheapest = min(others, key=lambda r: (r.cost.unit_landed_fen, r.facts.lead_time_days, r.facts.offer_id),
                   default=None)
    saving = sooner = None
    if cheapest is not None:
        saving = cheapest.cost.unit_landed_fen - best.cost.unit_landed_fen
        sooner = cheapest.facts.lead_time_days - best.facts.lead_time_days
    return Recommendation(best, runner, saving, sooner, before, runner is None, cheapest)


def default_descending(key: str) -> bool:
    """Higher is better for score, rating, on-time rate and stock; lower for the rest."""
    return key in ("score", "rating", "on_time", "stock")


_LAST = 1 << 62   # sorts after any amount
_VALUES = {
    "score": lambda r: r.score,
    "unit": lambda r: r.cost.unit_landed_fen,
    "total": lambda r: r.cost.landed_fen,
    "tax": lambda r: r.cost.tax_fen,
    "lead": lambda r: r.facts.lead_time_days,
    "rating": lambda r: r.facts.rating,
    "on_time": lambda r: r.facts.on_time_rate,
    "stock": lambda r: r.facts.stock,
}


def order_key(r: Row, key: str, descending: bool) -> tuple:
    """Where a row goes when offers are sorted by `key`, as one ascending tuple: offers that
    can serve first, by `key`, the rest after, cheapest first. Ties go to the cheaper
    landed unit, then the older offer, as the recommendation's do, so that sorted by
    score the recommended offer comes first. Pages of the table and of the API resume
    from such a tuple (app.core.paging)."""
    f = r.facts
    if not r.can_serve:
        return (1, r.cost.unit_landed_fen if r.cost else _LAST, f.offer_id)
    value = _VALUES.get(key, _VALUES["score"])(r)
    return (0, -value if descending else value, r.cost.unit_landed_fen, f.offer_id)


def sort_rows(rows: list[Row], key: str, descending: bool | None = None) -> list[Row]:
    """Offers that can serve first, sorted by `key`; the rest after, cheapest first."""
    desc = default_descending(key) if descending is None else descending
    return sorted(rows, key=lambda r: order_key(r, key, desc))
