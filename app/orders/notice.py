"""What the cross-border rules do to an order, said before the buyer pays (and kept on the order page).

The regime was decided when the order was created (services.price); this works out
what to tell the buyer about it: retail within the limits with the quota used and
left, a single item over 5,000 CNY taxed in full, an order over 5,000 CNY taxed as
general trade in full (and how much more tax that is than at retail rates), or plain
general trade. An order the annual limit refuses never exists: the refusal is shown
where the buyer clicked Buy.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app import catalog
from app.core.models import utcnow
from app.orders.consignees import retail_used_fen
from app.orders.models import Order, OrderState

RETAIL, SINGLE_ITEM, OVER_ORDER_LIMIT, GENERAL = "retail", "single_item", "over_order_limit", "general"


@dataclass(frozen=True)
class RegimeNotice:
    kind: str
    consignee: str
    order_fen: int                  # the order's dutiable value
    tax_fen: int
    order_limit_fen: int = catalog.RETAIL_TRANSACTION_LIMIT_FEN
    annual_limit_fen: int = catalog.RETAIL_ANNUAL_LIMIT_FEN
    used_fen: int | None = None     # the consignee's retail purchases this year (retail kinds)
    includes_this: bool = False     # `used_fen` counts this order (it is waiting for payment)
    retail_tax_fen: int | None = None  # the same goods at retail rates (over the order limit)

    @property
    def left_fen(self) -> int | None:
        return None if self.used_fen is None else max(self.annual_limit_fen - self.used_fen, 0)

    @property
    def extra_tax_fen(self) -> int | None:
        return None if self.retail_tax_fen is None else self.tax_fen - self.retail_tax_fen


def retail_rate_tax_fen(order: Order) -> int:
    """The order's taxes had each line been taxed at retail rates, limits aside."""
    total = 0
    for line in order.lines:
        rates = catalog.TaxRates(vat=line.vat_rate, consumption=line.consumption_rate, tariff=line.tariff_rate)
        total += catalog.compute_landed_cost(
            currency=line.currency, unit_price_minor=line.unit_price_minor, quantity=line.quantity,
            fx_rate=line.fx_rate, rates=rates, regime=catalog.Regime.RETAIL, shipping_minor=line.shipping_minor,
            insurance_minor=line.insurance_minor, limits=False).tax_fen
    return total


def notice_for(order: Order, today: date | None = None) -> RegimeNotice:
    base = {"consignee": order.consignee_name, "order_fen": order.dutiable_fen, "tax_fen": order.tax_fen}
    if order.regime == "general":
        if order.regime_note == "over_transaction_limit":
            return RegimeNotice(OVER_ORDER_LIMIT, retail_tax_fen=retail_rate_tax_fen(order), **base)
        return RegimeNotice(GENERAL, **base)
    used = retail_used_fen(order.consignee_id_hash, today or catalog.today()) if order.consignee_id_hash else 0
    kind = SINGLE_ITEM if order.regime_note == "single_item_over_limit" else RETAIL
    holding = order.state == OrderState.PENDING_PAYMENT and order.expires_at > utcnow()
    return RegimeNotice(kind, used_fen=used, includes_this=holding, **base)
