"""Orders priced and frozen at creation, paid through the simulator, booked once."""
from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from app import ledger
from app.core.errors import DomainError
from app.orders import services
from app.orders.models import OrderState
from app.payments import TradeType, prepay
from app.payments import services as pay
from app.payments.models import Charge, Payment
from tests.orders.conftest import make_consignee


def test_an_order_freezes_prices_taxes_and_the_consignee(app, db_session, shop, buyer):
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 2), (shop.usd_offer.id, 1)])
    assert order.state == OrderState.PENDING_PAYMENT and order.regime == "retail"
    cny, usd = order.lines
    # ¥100 × 2: VAT 13 % at 70 % = ¥18.20
    assert (cny.goods_fen, cny.vat_fen, cny.landed_fen) == (20_000, 1_820, 21_820)
    # $15.00 + $5.00 shipping at 7.00 = ¥140.00; VAT 13 % × 70 % = ¥12.74
    assert (usd.goods_fen, usd.shipping_fen, usd.fx_rate, usd.tax_fen) == (10_500, 3_500, Decimal("7.00000000"), 1_274)
    assert order.total_fen == 21_820 + 15_274 == order.goods_fen + order.shipping_fen + order.tax_fen
    assert order.consignee_id_masked == "1101**********002X" and "11010519491231002X" not in order.consignee_id_cipher
    charge = db_session.scalar(select(Charge).where(Charge.owner_id == order.id))
    assert charge.amount_fen == order.total_fen and charge.number == order.number
    shop.cny_offer.unit_price_minor = 99_999
    db_session.flush()
    db_session.refresh(order)
    assert order.lines[0].unit_price_minor == 10_000, "what the buyer saw is what is charged"


def test_over_five_thousand_an_order_is_taxed_as_general_trade_and_says_so(app, db_session, shop, buyer):
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 60)])  # ¥6,000
    assert order.regime == "general" and order.regime_note == "over_transaction_limit"
    assert order.lines[0].vat_fen == 78_000, "13 % in full"


def test_a_person_past_26000_a_year_is_refused_before_paying(app, db_session, shop, buyer):
    services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 45)])   # ¥4,500, holds its share
    services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 45)])
    services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 45)])
    services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 45)])
    services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 45)])   # ¥22,500 in all
    with pytest.raises(DomainError, match="26,000") as refused:
        services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 40)])
    assert refused.value.code == "annual_limit"


def test_retail_needs_an_identity_number_general_trade_does_not(app, db_session, shop, make_user):
    user = make_user(role="owner")
    make_consignee(user, id_number=None)
    with pytest.raises(DomainError) as refused:
        services.create(user, user.company_id, [(shop.cny_offer.id, 1)])
    assert refused.value.code == "consignee_id_required"
    assert services.create(user, user.company_id, [(shop.general_offer.id, 1)]).regime == "general"


def test_a_notify_dropped_polling_records_the_payment_and_books_it_once(app, db_session, shop, buyer, wechat):
    order = services.create(buyer, buyer.company_id, [(shop.usd_offer.id, 2)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    assert attempt.code_url.startswith("weixin://wxpay/bizpayurl?pr=")
    paid = wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url}).json()
    assert paid["trade_state"] == "SUCCESS"
    pay.query(attempt, "poll")
    pay.query(attempt, "poll")  # a second poll finds the same transaction: nothing more
    db_session.refresh(order)
    assert order.state == OrderState.PAID and order.paid_at is not None
    [payment] = db_session.scalars(select(Payment)).all()
    assert payment.transaction_id == paid["transaction_id"] and payment.total_fee == order.total_fen
    entries = ledger.entries_for_order(order.id)
    assert [e.kind for e in entries] == ["charge", "payment"]
    assert all(sum(p.amount_fen for p in e.postings) == 0 for e in entries)
    assert ledger.balance(ledger.CLEARING) == order.total_fen
    assert ledger.balance(ledger.CUSTOMER, ledger.COMPANY, order.company_id) == 0, "charged, then paid"
    gross = order.goods_fen + order.shipping_fen + order.insurance_fen
    commission = round(gross * Decimal("0.08"))
    assert ledger.balance(ledger.COMMISSION) == -commission
    assert ledger.balance(ledger.SUPPLIER_PAYABLE, "supplier", shop.usd_offer.supplier_id) == -(gross - commission)
    assert ledger.balance(ledger.TAX_HELD) == -order.tax_fen
    for kind, tax in (("vat", "vat_fen"), ("consumption_tax", "consumption_tax_fen"), ("tariff", "tariff_fen")):
        assert ledger.balance(ledger.TAX_HELD, kind, 0) == -sum(getattr(line, tax) for line in order.lines)
