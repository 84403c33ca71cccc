"""Books for the settlement tests: orders paid through payments' own apply function at a
chosen time, refunds approved as finance approves them, and WeChat's fees posted exactly
as reconciliation posts them (the contract: `wechat-fee:<transaction_id>` Dr WeChat fees /
Cr clearing, and `wechat-fee-refund:<out_refund_no>` back, with the order and company)."""
from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from app import ledger, payments
from app.catalog.models import Supplier
from app.core.models import utcnow
from app.core.money import round_half_up
from app.extensions import db
from app.orders import aftersale, services
from app.orders.models import Order
from app.payments import services as pay
from app.payments.models import Attempt
from app.statements.settlement import CHINA, Period
from tests.orders.conftest import Shop, build_shop, make_consignee

_transactions = itertools.count(4200000001202611010000000000)


def this_month() -> Period:
    """The Beijing month we are in: refunds are approved now, so their reversals fall in it."""
    now = utcnow().astimezone(CHINA)
    return Period.month(now.year, now.month)


def at(period: Period, days: int = 0, hours: int = 1) -> datetime:
    return period.start + timedelta(days=days, hours=hours)


class Books:
    """Paid orders, refunds and fees of one buyer at one shop."""

    def __init__(self, shop: Shop, buyer) -> None:
        self.shop, self.buyer = shop, buyer
        self.transaction: dict[int, str] = {}

    @property
    def bonded(self) -> Supplier:
        return self.shop.cny_offer.supplier

    @property
    def new_york(self) -> Supplier:
        return self.shop.usd_offer.supplier

    def paid(self, lines: list[tuple[int, int]], when: datetime) -> Order:
        order = services.create(self.buyer, self.buyer.company_id, lines, now=when)
        charge = services.charge_of(order)
        attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}X1", trade_type=payments.TradeType.NATIVE)
        db.session.add(attempt)
        db.session.flush()
        transaction_id = str(next(_transactions))
        assert pay.apply(pay.Result(attempt.out_trade_no, transaction_id, charge.amount_fen, charge.amount_fen, 0, None,
                                    "CNY", "NATIVE", "CMC", "o-test", when, {}), "notify") == "applied"
        self.transaction[order.id] = transaction_id
        return order

    def refund(self, order: Order, **how):
        refund = aftersale.request_refund(order, reason="少发一件", requested_by_id=self.buyer.id, **how)
        aftersale.decide(order, refund.id, approve=True, actor_id=self.buyer.id)
        return refund

    def fee(self, order: Order, when: datetime, rate: str = "0.006") -> int:
        """WeChat's fee for the order's payment, booked as reconciliation books it."""
        fee = round_half_up(Decimal(order.total_fen) * Decimal(rate))
        ledger.post(f"wechat-fee:{self.transaction[order.id]}", "wechat_fee",
                    [ledger.Line(ledger.WECHAT_FEES, fee), ledger.Line(ledger.CLEARING, -fee)],
                    order_id=order.id, company_id=order.company_id, at=when)
        return fee

    def fee_returned(self, order: Order, refund, fee: int, when: datetime) -> None:
        ledger.post(f"wechat-fee-refund:{refund.out_refund_no}", "wechat_fee_refund",
                    [ledger.Line(ledger.CLEARING, fee), ledger.Line(ledger.WECHAT_FEES, -fee)],
                    order_id=order.id, company_id=order.company_id, at=when)


def payable(supplier_id: int) -> int:
    """What the ledger says we owe the supplier (its payable's credit balance), in fen."""
    return -ledger.balance(ledger.SUPPLIER_PAYABLE, "supplier", supplier_id)


def build_books(session) -> Books:
    from tests.factories import Factories

    buyer = Factories(session).user(role="owner")
    make_consignee(buyer)
    return Books(build_shop(session), buyer)


@pytest.fixture
def books(db_session) -> Books:
    return build_books(db_session)
