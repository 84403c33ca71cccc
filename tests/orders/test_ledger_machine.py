"""The books balance whatever WeChat reports, in whatever order: a Hypothesis state machine
of orders paid, paid twice, notified again, closed and paid late, and forged amounts."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, rule
from sqlalchemy import func, select

from app import ledger
from app.core import states
from app.extensions import db
from app.orders import services
from app.orders.models import ORDER_MACHINE, Order, OrderState
from app.payments import services as pay
from app.payments.gateway import TradeType
from app.payments.models import CHARGE_MACHINE, Attempt, Charge, ChargeStatus, Payment
from tests.orders.conftest import build_shop, make_consignee
from tests.factories import Factories

_transactions = itertools.count(4200000001202612010000000000)


def _result(attempt: Attempt, amount: int, transaction_id: str, fee_type: str = "CNY") -> pay.Result:
    return pay.Result(out_trade_no=attempt.out_trade_no, transaction_id=transaction_id, total_fee=amount,
                      cash_fee=amount, coupon_fee=0, settlement_total_fee=None, fee_type=fee_type,
                      trade_type="NATIVE", bank_type="CMC", openid="o-test", paid_at=None, raw={})


class Payments(RuleBasedStateMachine):
    attempts = Bundle("attempts")
    paid = Bundle("paid")

    @initialize()
    def setup(self):
        self.savepoint = db.session.begin_nested()
        self.shop = build_shop(db.session)
        self.buyer = Factories(db.session).user(role="owner")
        make_consignee(self.buyer)
        self.received = 0      # every payment recorded, in fen
        self.extra = 0         # payments to give back (a charge paid twice)

    def teardown(self):
        self.savepoint.rollback()

    @rule(target=attempts, units=st.integers(1, 4), kind=st.sampled_from(list(TradeType)))
    def order(self, units, kind):
        order = services.create(self.buyer, self.buyer.company_id, [(self.shop.cny_offer.id, units)])
        charge = services.charge_of(order)
        attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}X1", trade_type=kind)
        db.session.add(attempt)
        db.session.flush()
        return attempt

    @rule(target=paid, attempt=attempts)
    def pay(self, attempt):
        charge = db.session.get(Charge, attempt.charge_id)
        transaction = str(next(_transactions))
        outcome = pay.apply(_result(attempt, charge.amount_fen, transaction), "notify")
        self.received += charge.amount_fen
        if outcome == "extra":
            self.extra += charge.amount_fen
        return (attempt, transaction)

    @rule(paid=paid)
    def notified_again(self, paid):
        attempt, transaction = paid
        charge = db.session.get(Charge, attempt.charge_id)
        assert pay.apply(_result(attempt, charge.amount_fen, transaction), "notify") == "duplicate"

    @rule(attempt=attempts, wrong=st.sampled_from(["amount", "currency"]))
    def forged(self, attempt, wrong):
        charge = db.session.get(Charge, attempt.charge_id)
        try:
            with db.session.begin_nested():
                pay.apply(_result(attempt, charge.amount_fen + (1 if wrong == "amount" else 0), str(next(_transactions)),
                                  "USD" if wrong == "currency" else "CNY"), "notify")
        except pay.Mismatch:
            return
        raise AssertionError("a forged amount was accepted")

    @rule(attempt=attempts)
    def closed(self, attempt):
        charge = db.session.get(Charge, attempt.charge_id)
        order = db.session.get(Order, charge.owner_id)
        if charge.status == ChargeStatus.OPEN:
            states.apply(CHARGE_MACHINE, charge, ChargeStatus.CLOSED)
            states.apply(ORDER_MACHINE, order, OrderState.CLOSED)
            db.session.flush()

    @invariant()
    def books_balance(self):
        if not hasattr(self, "received"):
            return
        assert ledger.trial_balance() == 0
        assert ledger.balance(ledger.CLEARING) == self.received
        assert ledger.balance(ledger.REFUNDS_DUE) == -self.extra
        payments = db.session.scalar(select(func.coalesce(func.sum(Payment.total_fee), 0)))
        assert payments == self.received
        # An order is paid exactly when its charge is, and booked once.
        for order in db.session.scalars(select(Order)):
            charge = services.charge_of(order)
            assert (order.state == OrderState.PAID) == (charge.status == ChargeStatus.PAID)
            entries = [e for e in ledger.entries_for_order(order.id) if e.kind == "payment"]
            assert len(entries) == (1 if order.state == OrderState.PAID else 0)


def test_the_books_balance_under_any_sequence_of_payment_events(app, db_session, monkeypatch):
    # Automatic refunds are sent by a job after the commit; here only their booking counts.
    monkeypatch.setattr("app.payments.refunds.send_later", lambda refund: None)
    machine = Payments.TestCase
    machine.settings = settings(max_examples=25, stateful_step_count=12, deadline=None,
                                suppress_health_check=list(HealthCheck))
    machine().runTest()
