"""Orders: priced and frozen at creation, paid through payments, closed at expiry or on cancel.

Creating an order prices every line from the catalog for today, decides the regime for
the whole order (the cross-border retail limits apply per order and per person and year),
freezes the consignee, and opens its charge. Payment and closing come back through the
handlers registered with payments, in the transaction that records them: the order's
state, its ledger entry and its SMS all happen there, once.
"""
from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app import catalog, ledger, notifications, payments
from app.core import states
from app.core.errors import Conflict, DomainError, NotFound
from app.core.models import utcnow
from app.core.money import format_money, round_half_up
from app.extensions import db
from app.orders.consignees import default_consignee, retail_used_fen
from app.orders.models import ORDER_MACHINE, Consignee, Order, OrderLine, OrderState

OWNER = "order"
MAX_LINES = 50


@dataclass(frozen=True)
class Priced:
    """An order's lines priced under the regime the order gets, before it exists."""

    lines: list[tuple[catalog.Quote, catalog.LandedCost]]
    regime: str
    note: str | None
    dutiable_fen: int
    total_fen: int
    used_fen: int | None       # the consignee's retail purchases this year before this order


def _refusal(quote: catalog.Quote) -> DomainError:
    code, values = quote.reasons[0]
    if code == "inactive":
        return DomainError(_l("This offer is no longer available."), "offer_id", code="unavailable")
    return DomainError(catalog.texts.reason_text(code, values), "quantity", code=f"offer_{code}")


def price(lines: Sequence[tuple[int, int]], consignee: Consignee | None, *, today=None) -> Priced:
    """Price (offer id, quantity) lines for today and decide the order's regime.

    Retail-regime offers are taxed at 70 % within the limits of 财关税〔2018〕49号: over 5,000
    CNY an order (unless it is a single item) is taxed as general trade in full, and an
    order that would take the consignee past 26,000 CNY in the year is refused. Raises
    DomainError naming what cannot be bought, and when retail and general-trade offers
    are mixed.
    """
    if not lines:
        raise DomainError(_l("Add at least one offer to order."), "lines", code="empty")
    if len(lines) > MAX_LINES:
        raise DomainError(_l("An order has at most %(n)d lines.", n=MAX_LINES), "lines")
    quantities: dict[int, int] = {}
    for offer_id, quantity in lines:
        quantities[offer_id] = quantities.get(offer_id, 0) + quantity
    today = today or catalog.today()
    quotes = catalog.quote(list(quantities.items()), today)
    for offer_id in quantities:
        if offer_id not in quotes:
            raise NotFound(_l("There is no such offer."), "offer_id")
    ordered = [quotes[offer_id] for offer_id in quantities]
    for q in ordered:
        if q.reasons:
            raise _refusal(q)
    regimes = {q.facts.regime for q in ordered}
    if len(regimes) > 1:
        raise DomainError(_l("Cross-border retail and general-trade offers are paid for in separate orders. "
                             "Order them one kind at a time."), "lines", code="mixed_regimes")
    requested = regimes.pop()
    if requested is catalog.Regime.GENERAL:
        costs = [q.cost(catalog.Regime.GENERAL) for q in ordered]
        return _priced(ordered, costs, "general", None, None)
    if consignee is None or not consignee.id_hash:
        raise DomainError(_l("Cross-border retail imports need the consignee's identity number."),
                          "consignee", code="consignee_id_required")
    costs = [q.cost(catalog.Regime.RETAIL) for q in ordered]
    dutiable = sum(c.dutiable_fen for c in costs)
    used = retail_used_fen(consignee.id_hash, today)
    if used + dutiable > catalog.RETAIL_ANNUAL_LIMIT_FEN:
        raise DomainError(_l(
            "This order (%(order)s) would take %(name)s's cross-border purchases this year over the "
            "%(limit)s a person may buy: %(used)s is used, %(left)s is left. Order less, or choose "
            "general-trade offers.", order=format_money(dutiable), name=consignee.name,
            limit=format_money(catalog.RETAIL_ANNUAL_LIMIT_FEN), used=format_money(used),
            left=format_money(max(catalog.RETAIL_ANNUAL_LIMIT_FEN - used, 0))),
            "lines", code="annual_limit")
    single_item = len(ordered) == 1 and ordered[0].quantity == 1
    if dutiable > catalog.RETAIL_TRANSACTION_LIMIT_FEN and not single_item:
        costs = [q.cost(catalog.Regime.GENERAL) for q in ordered]
        return _priced(ordered, costs, "general", "over_transaction_limit", used)
    note = "single_item_over_limit" if dutiable > catalog.RETAIL_TRANSACTION_LIMIT_FEN else None
    return _priced(ordered, costs, "retail", note, used)


def _priced(quotes, costs, regime: str, note: str | None, used: int | None) -> Priced:
    return Priced(list(zip(quotes, costs)), regime, note, sum(c.dutiable_fen for c in costs),
                  sum(c.landed_fen for c in costs), used)


def _body(priced: Priced) -> str:
    first = priced.lines[0][0].product_name_zh
    count = sum(q.quantity for q, _ in priced.lines)
    return f"跨境采购-{first}等{count}件" if len(priced.lines) > 1 or count > 1 else f"跨境采购-{first}"


def fingerprint(lines: Sequence[tuple[int, int]], consignee_id: int | None) -> str:
    """What an order request asked for, to tell a retry from a different request under one key."""
    return hashlib.sha256(json.dumps([sorted(lines), consignee_id]).encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    order: Order
    created: bool       # False: an earlier request under the same Idempotency-Key made it


def create(buyer, company_id: int, lines: Sequence[tuple[int, int]], *, consignee: Consignee | None = None,
           idempotency_key: str | None = None, now: datetime | None = None) -> Order:
    """Create an order of `lines` for the buyer's company and open its charge (see `place`)."""
    return place(buyer, company_id, lines, consignee=consignee, idempotency_key=idempotency_key, now=now).order


def place(buyer, company_id: int, lines: Sequence[tuple[int, int]], *, consignee: Consignee | None = None,
          idempotency_key: str | None = None, now: datetime | None = None) -> Placed:
    """Create an order of `lines` for the buyer's company and open its charge.

    Prices are frozen now; the order waits ORDER_PAYMENT_MINUTES for its payment.
    With an `idempotency_key`, a retry of the same request returns the order it made
    (`created` is then False); the same key with other lines raises Conflict. Raises
    DomainError for what cannot be bought (see `price`).
    """
    now = now or utcnow()
    consignee = consignee or default_consignee(buyer.id)
    if consignee is None:
        raise DomainError(_l("Add who receives the goods before you order."), "consignee", code="consignee_required")
    if consignee.company_id != company_id:
        raise NotFound(_l("There is no such consignee."), "consignee_id")
    digest = fingerprint(lines, consignee.id)
    if idempotency_key:
        earlier = _placed_under(company_id, idempotency_key, digest)
        if earlier is not None:
            return earlier
    priced = price(lines, consignee)
    minutes = int(current_app.config["ORDER_PAYMENT_MINUTES"])
    order = Order(number=payments.new_number(), company_id=company_id, buyer_id=buyer.id,
                  regime=priced.regime, regime_note=priced.note,
                  goods_fen=sum(c.goods_fen for _, c in priced.lines),
                  shipping_fen=sum(c.shipping_fen for _, c in priced.lines),
                  insurance_fen=sum(c.insurance_fen for _, c in priced.lines),
                  dutiable_fen=priced.dutiable_fen, tax_fen=sum(c.tax_fen for _, c in priced.lines),
                  total_fen=priced.total_fen, consignee_id=consignee.id, consignee_name=consignee.name,
                  consignee_phone=consignee.phone, consignee_address=consignee.address,
                  consignee_id_cipher=consignee.id_cipher, consignee_id_hash=consignee.id_hash,
                  consignee_id_masked=consignee.id_masked, expires_at=now + timedelta(minutes=minutes),
                  idempotency_key=idempotency_key, request_hash=digest, created_at=now)
    for q, c in priced.lines:
        f = q.facts
        order.lines.append(OrderLine(
            offer_id=f.offer_id, product_id=q.product_id, supplier_id=f.supplier_id,
            product_name_zh=q.product_name_zh, product_name_en=q.product_name_en, supplier_name=f.supplier_name,
            supplier_sku=q.supplier_sku, quantity=q.quantity, currency=f.currency, unit_price_minor=c.unit_price_minor,
            goods_minor=c.goods_minor, shipping_minor=c.shipping_minor, insurance_minor=c.insurance_minor,
            fx_rate=c.fx_rate, fx_day=f.fx_day, goods_fen=c.goods_fen, shipping_fen=c.shipping_fen,
            insurance_fen=c.insurance_fen, dutiable_fen=c.dutiable_fen, tariff_fen=c.tariff_fen,
            consumption_tax_fen=c.consumption_tax_fen, vat_fen=c.vat_fen, tax_fen=c.tax_fen,
            landed_fen=c.landed_fen, vat_rate=q.rates.vat, consumption_rate=q.rates.consumption,
            tariff_rate=q.rates.tariff, commission_rate=q.commission_rate, lead_time_days=f.lead_time_days))
    try:
        # A savepoint: a retry racing this request under the same key may commit its
        # order first; the unique key then stops ours, and the retry's order is the answer.
        with db.session.begin_nested():
            db.session.add(order)
    except IntegrityError:
        earlier = _placed_under(company_id, idempotency_key, digest) if idempotency_key else None
        if earlier is None:
            raise
        return earlier
    payments.open_charge(OWNER, order.id, number=order.number, amount_fen=order.total_fen, body=_body(priced),
                         expires_at=order.expires_at)
    return Placed(order, True)


def _placed_under(company_id: int, key: str, digest: str) -> Placed | None:
    """The order an earlier request placed under this Idempotency-Key; Conflict when that
    request asked for something else."""
    existing = db.session.scalar(select(Order).where(Order.company_id == company_id, Order.idempotency_key == key))
    if existing is None:
        return None
    if existing.request_hash != digest:
        raise Conflict(_l("This Idempotency-Key was used for another request."), "Idempotency-Key")
    return Placed(existing, False)


def get(order_id: int, company_id: int, *, lock: bool = False) -> Order:
    """One order of the company; NotFound for any other (another company's is not found either)."""
    stmt = select(Order).where(Order.id == order_id, Order.company_id == company_id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    order = db.session.scalar(stmt)
    if order is None:
        raise NotFound(_l("There is no such order."), "order_id")
    return order


def charge_of(order: Order) -> payments.Charge:
    return payments.charge_for(OWNER, order.id)


def cancel(order: Order, actor_id: int) -> str:
    """Cancel an unpaid order: WeChat closes it first, and a payment it reports wins.

    Returns "closed", "paid" or "closing" (WeChat will let us close in a few minutes;
    until then nothing more can be paid). Raises IllegalTransition once it is paid or closed.
    """
    if order.state != OrderState.PENDING_PAYMENT:
        raise states.IllegalTransition(ORDER_MACHINE, order, order.state, OrderState.CLOSED,
                                       _l("Only an order waiting for its payment can be cancelled."))
    return payments.request_close(charge_of(order).id, "cancelled", actor_id=actor_id)


# --- what payments tells us ----------------------------------------------------------------

def _on_paid(order_id: int, paid: payments.Paid) -> None:
    """The order's charge is paid: the order is paid, the money booked, the buyer texted."""
    from app import accounts
    from app.accounts.models import User

    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    states.apply(ORDER_MACHINE, order, OrderState.PAID, at=paid.paid_at,
                 note="paid after it had closed" if paid.late else paid.trade_type)
    if paid.late:
        order.close_reason = None
    _book_payment(order, paid)
    from app.orders import aftersale

    aftersale.declare(order)
    buyer = db.session.get(User, order.buyer_id)
    notifications.notify("order_paid", accounts.recipient(buyer), about=order, order_no=order.number,
                         amount=format_money(order.total_fen))


def _book_payment(order: Order, paid: payments.Paid) -> None:
    """Two entries, each once by its event: the charge (the company owes the order: each
    supplier is owed its goods, shipping and insurance less commission, the commission is
    the platform's, each tax is held for customs) and the payment (clearing takes the
    money, which settles what the company owes)."""
    company = order.company_id
    ledger.post(payments.charged_key(paid.charge_id), "charge",
                [ledger.customer(company, order.total_fen)] + credits_for(order.lines),
                memo=f"order {order.number}", order_id=order.id, company_id=company, at=paid.paid_at)
    ledger.post(payments.payment_key(paid.transaction_id), "payment",
                [ledger.Line(ledger.CLEARING, paid.amount_fen), ledger.customer(company, -paid.amount_fen)],
                memo=f"order {order.number}", order_id=order.id, company_id=company, at=paid.paid_at)


def credits_for(lines: Sequence[OrderLine]) -> list[ledger.Line]:
    """The credits a charge books for these order lines: what each supplier is owed, the
    commission and each tax (a refund of the lines takes them back from the same parties)."""
    per_supplier: dict[int, int] = {}
    commission = 0
    taxes = dict.fromkeys(ledger.TAX_KINDS, 0)
    for line in lines:
        gross = line.goods_fen + line.shipping_fen + line.insurance_fen
        cut = round_half_up(gross * line.commission_rate)
        per_supplier[line.supplier_id] = per_supplier.get(line.supplier_id, 0) + gross - cut
        commission += cut
        taxes["vat"] += line.vat_fen
        taxes["consumption_tax"] += line.consumption_tax_fen
        taxes["tariff"] += line.tariff_fen
    credits = [ledger.Line(ledger.SUPPLIER_PAYABLE, -owed, "supplier", sid) for sid, owed in sorted(per_supplier.items())]
    return credits + [ledger.Line(ledger.COMMISSION, -commission)] + [
        ledger.Line(ledger.TAX_HELD, -amount, kind) for kind, amount in taxes.items()]


def _on_closed(order_id: int, reason: str) -> None:
    order = db.session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order.state == OrderState.PENDING_PAYMENT:
        states.apply(ORDER_MACHINE, order, OrderState.CLOSED, note=reason)
        order.close_reason = reason


def register_payments(app) -> None:
    from app.orders import aftersale

    payments.register_owner(app, OWNER, on_paid=_on_paid, on_closed=_on_closed, on_refund=aftersale.on_refund,
                            on_customs=aftersale.on_customs)


# --- lists -----------------------------------------------------------------------------------

def count_by_state(company_id: int) -> dict[str, int]:
    return dict(db.session.execute(select(Order.state, func.count()).where(Order.company_id == company_id)
                                   .group_by(Order.state)).all())
