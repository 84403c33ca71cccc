"""What a refund takes back from whom: each party's share, exact to the fen over several
partial refunds, and a refund of one line taken from that line's supplier alone."""
from __future__ import annotations

import pytest

from app import ledger
from app.orders import aftersale, services
from app.payments import TradeType
from app.payments import refunds as money_back
from app.payments.models import Attempt
from app.payments import services as pay
from tests.orders.test_ledger_machine import _result


def _paid(db_session, buyer, lines):
    order = services.create(buyer, buyer.company_id, lines)
    charge = services.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}X1", trade_type=TradeType.NATIVE)
    db_session.add(attempt)
    db_session.flush()
    pay.apply(_result(attempt, charge.amount_fen, f"42000000012026120100000{order.id:05d}"), "notify")
    return order


def _left(order) -> dict:
    """What each party is still credited with for the order (supplier payables, commission, tax)."""
    left: dict = {}
    for entry in ledger.entries_for_order(order.id):
        for p in entry.postings:
            if p.account.code not in (ledger.CLEARING, ledger.CUSTOMER):
                key = (p.account.code, p.account.party_id)
                left[key] = left.get(key, 0) + p.amount_fen
    return left


def _owed(order) -> int:
    """The company's account: negative when the portal owes it money back."""
    return ledger.balance(ledger.CUSTOMER, ledger.COMPANY, order.company_id)


def _refund(order, buyer, **how):
    refund = aftersale.request_refund(order, reason="test", requested_by_id=buyer.id, **how)
    aftersale.decide(order, refund.id, approve=True, actor_id=buyer.id)
    return refund


def test_three_partial_refunds_of_the_whole_leave_every_party_at_exactly_zero(db_session, shop, buyer):
    order = _paid(db_session, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 2)])
    assert len([v for v in _left(order).values() if v]) >= 3, "several parties share the order"
    third = order.total_fen // 3
    _refund(order, buyer, amount_fen=third)
    _refund(order, buyer, amount_fen=third)
    _refund(order, buyer)  # what is left
    assert set(_left(order).values()) == {0}, "nobody keeps a fen of an order refunded in full"
    assert _owed(order) == -order.total_fen and ledger.trial_balance() == 0


def test_a_refund_of_one_line_is_taken_from_that_lines_supplier(db_session, shop, buyer):
    order = _paid(db_session, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 2)])
    usd_line, cny_line = order.lines
    assert usd_line.supplier_id != cny_line.supplier_id
    before = _left(order)
    _refund(order, buyer, line_ids=[usd_line.id])
    after = _left(order)
    payable = ledger.SUPPLIER_PAYABLE
    assert after[(payable, cny_line.supplier_id)] == before[(payable, cny_line.supplier_id)], \
        "the other supplier is still owed all of its goods"
    assert after[(payable, usd_line.supplier_id)] == 0, "the refunded line's supplier is owed nothing more"
    assert after[(ledger.TAX_HELD, 0)] == before[(ledger.TAX_HELD, 0)] + usd_line.tax_fen
    # The rest of the order refunds to exactly zero.
    _refund(order, buyer)
    assert set(_left(order).values()) == {0}


def test_a_refund_wechat_refused_is_not_approved_again_and_booked_twice(db_session, shop, buyer):
    from app.core.states import IllegalTransition
    from app.payments.gateway import RefundState
    from app.payments.models import REFUND_MACHINE, RefundStatus
    from app.core import states

    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    refund = _refund(order, buyer)
    states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
    money_back.settle(refund, RefundState.CHANGE, None, None)
    assert refund.status == RefundStatus.FAILED
    with pytest.raises(IllegalTransition):
        aftersale.decide(order, refund.id, approve=True, actor_id=buyer.id)
    assert _owed(order) == -order.total_fen, "owed back once, not twice"
    money_back.retry(refund.id, actor_id=buyer.id)  # sending it again is how it goes on
    assert refund.status == RefundStatus.APPROVED and _owed(order) == -order.total_fen


def test_a_charge_booked_before_companies_had_accounts_is_refunded_through_refunds_due(db_session, shop, buyer,
                                                                                        monkeypatch):
    """Books kept before a company had its own account: one entry per payment, the parties
    credited straight from clearing. A refund of such an order reverses that entry and is
    owed back through refunds due, until WeChat confirms it."""
    from app.core import states
    from app.payments import payment_key
    from app.payments.gateway import RefundState
    from app.payments.models import REFUND_MACHINE, RefundStatus

    def as_booked_before(order, paid):
        ledger.post(payment_key(paid.transaction_id), "payment",
                    [ledger.Line(ledger.CLEARING, paid.amount_fen)] + services.credits_for(order.lines),
                    order_id=order.id, company_id=order.company_id, at=paid.paid_at)

    monkeypatch.setattr(services, "_book_payment", as_booked_before)
    order = _paid(db_session, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 1)])
    refund = _refund(order, buyer, amount_fen=order.total_fen // 2)
    assert ledger.balance(ledger.REFUNDS_DUE) == -(order.total_fen // 2) and _owed(order) == 0
    states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
    money_back.settle(refund, RefundState.SUCCESS, None, None)
    assert ledger.balance(ledger.REFUNDS_DUE) == 0 and _owed(order) == 0
    assert ledger.balance(ledger.CLEARING) == order.total_fen - order.total_fen // 2 and ledger.trial_balance() == 0
