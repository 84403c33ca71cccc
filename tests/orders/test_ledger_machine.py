"""The books balance whatever WeChat reports, in whatever order: a Hypothesis state machine
of two companies' orders paid, paid twice, notified again, closed and paid late, forged
amounts, and refunds asked for, approved, rejected, settled, failed at WeChat and sent
again. Each company's own account always says what it owes or is owed back."""
from __future__ import annotations

import itertools

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, initialize, invariant, multiple, rule
from sqlalchemy import func, select

from app import ledger
from app.core import states
from app.extensions import db
from app.core.errors import DomainError
from app.orders import aftersale, services
from app.orders.models import ORDER_MACHINE, Order, OrderState
from app.payments import services as pay
from app.payments import refunds as money_back
from app.payments.gateway import RefundState, TradeType
from app.payments.models import (CHARGE_MACHINE, REFUND_MACHINE, Attempt, Charge, ChargeStatus, Payment, Refund,
                                 RefundStatus)
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
    refunds = Bundle("refunds")

    @initialize()
    def setup(self):
        self.savepoint = db.session.begin_nested()
        self.shop = build_shop(db.session)
        factories = Factories(db.session)
        self.buyers = [factories.user(role="owner"), factories.user(role="owner")]
        for buyer in self.buyers:
            make_consignee(buyer)
        self.buyer = self.buyers[0]
        self.received = 0      # every payment recorded, in fen
        self.extra: dict[int, int] = {}   # per company: payments to give back (a charge paid twice)

    def teardown(self):
        self.savepoint.rollback()

    @rule(target=attempts, units=st.integers(1, 4), kind=st.sampled_from(list(TradeType)), two=st.booleans(),
          who=st.sampled_from([0, 1]))
    def order(self, units, kind, two, who):
        """An order of one supplier's goods, or of two suppliers' (shares to split), by either company."""
        lines = [(self.shop.cny_offer.id, units)] + ([(self.shop.usd_offer.id, 1)] if two else [])
        buyer = self.buyers[who]
        order = services.create(buyer, buyer.company_id, lines)
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
            company = db.session.get(Order, charge.owner_id).company_id
            self.extra[company] = self.extra.get(company, 0) + charge.amount_fen
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

    @rule(target=refunds, paid=paid, part=st.sampled_from([None, 1, 2, 3, 7]), lines=st.booleans())
    def ask_refund(self, paid, part, lines):
        """The whole order, its one line, or a share of it (1/part); refused when too much."""
        order = db.session.get(Order, db.session.get(Charge, paid[0].charge_id).owner_id)
        whole = part is None
        try:
            with db.session.begin_nested():
                refund = aftersale.request_refund(
                    order, reason="test", requested_by_id=self.buyer.id,
                    amount_fen=None if whole or lines else max(1, order.total_fen // part),
                    line_ids=[order.lines[0].id] if lines and not whole else ())
        except DomainError:
            return multiple()
        return refund.id

    @rule(refund_id=refunds)
    def approve(self, refund_id):
        refund = db.session.get(Refund, refund_id)
        order = db.session.get(Order, db.session.get(Charge, refund.charge_id).owner_id)
        try:
            with db.session.begin_nested():
                aftersale.decide(order, refund_id, approve=True, actor_id=self.buyer.id)
        except DomainError:  # decided already, or more than is left
            return

    @rule(refund_id=refunds)
    def reject(self, refund_id):
        refund = db.session.get(Refund, refund_id)
        order = db.session.get(Order, db.session.get(Charge, refund.charge_id).owner_id)
        try:
            with db.session.begin_nested():
                aftersale.decide(order, refund_id, approve=False, actor_id=self.buyer.id, note="no")
        except DomainError:
            return

    @rule(refund_id=refunds, answer=st.sampled_from([RefundState.SUCCESS, RefundState.SUCCESS, RefundState.CHANGE,
                                                     RefundState.REFUNDCLOSE]), again=st.booleans())
    def wechat_answers(self, refund_id, answer, again):
        """Sent (as the job would) and settled by a notify or a query, perhaps twice."""
        refund = db.session.get(Refund, refund_id)
        if refund.status == RefundStatus.APPROVED:
            states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
        for _ in range(2 if again else 1):
            money_back.settle(refund, answer, None, None)

    @rule(refund_id=refunds)
    def sent_again(self, refund_id):
        if db.session.get(Refund, refund_id).status == RefundStatus.FAILED:
            money_back.retry(refund_id, actor_id=self.buyer.id)

    def _refunds(self, *statuses):
        return list(db.session.scalars(select(Refund).where(Refund.automatic.is_(False),
                                                            Refund.status.in_(statuses))))

    @invariant()
    def refunds_never_exceed_the_payment_and_reverse_exactly(self):
        if not hasattr(self, "received"):
            return
        promised = self._refunds(RefundStatus.APPROVED, RefundStatus.PROCESSING, RefundStatus.SUCCEEDED,
                                 RefundStatus.FAILED)
        succeeded = self._refunds(RefundStatus.SUCCEEDED)
        assert ledger.balance(ledger.CLEARING) == self.received - sum(r.amount_fen for r in succeeded)
        assert ledger.balance(ledger.REFUNDS_DUE) == 0, "every charge is booked to its company's account"
        company_of = dict(db.session.execute(select(Charge.id, Order.company_id).join(Order, Order.id == Charge.owner_id)).tuples().all())
        for buyer in self.buyers:
            company = buyer.company_id
            mine = [r for r in promised if company_of[r.charge_id] == company]
            # Charged and paid cancel out: what is left is owed back (extra payments, refunds not yet sent).
            owed_back = self.extra.get(company, 0) + sum(r.amount_fen for r in mine if r.status != RefundStatus.SUCCEEDED)
            assert ledger.balance(ledger.CUSTOMER, ledger.COMPANY, company) == -owed_back
        for order in db.session.scalars(select(Order).where(Order.state.in_(
                [OrderState.PAID, OrderState.REFUNDED]))):
            charge = services.charge_of(order)
            mine = [r for r in promised if r.charge_id == charge.id]
            assert sum(r.amount_fen for r in mine) <= order.total_fen, "never more back than was paid"
            done = sum(r.amount_fen for r in mine if r.status == RefundStatus.SUCCEEDED)
            assert order.refunded_fen == done
            assert (order.state == OrderState.REFUNDED) == (done == order.total_fen)
            # What each party is still credited with for the order: never reversed past zero,
            # and exactly zero once all of it is promised back.
            left: dict = {}
            for entry in ledger.entries_for_order(order.id):
                for posting in entry.postings:
                    if posting.account.code not in (ledger.CLEARING, ledger.CUSTOMER):
                        key = (posting.account.code, posting.account.party_type, posting.account.party_id)
                        left[key] = left.get(key, 0) + posting.amount_fen
            assert all(v <= 0 for v in left.values()), f"a party was reversed more than it was credited: {left}"
            if sum(r.amount_fen for r in mine) == order.total_fen:
                assert set(left.values()) <= {0}, f"refunded in full, yet something is left: {left}"

    @invariant()
    def each_companys_statement_ties_out(self):
        """The statement of all time says what the ledger says: each company's closing balance
        is its account, its totals add up to it, and the companies' taxes are all that is held."""
        if not hasattr(self, "received"):
            return
        from datetime import date

        from app.statements.statements import Period, read

        taxes = [0, 0, 0]
        for buyer in self.buyers:
            data = read(buyer.company_id, Period(date(2000, 1, 1), date(2100, 1, 1)))
            assert data.opening_fen == 0
            assert data.closing_fen == ledger.balance(ledger.CUSTOMER, ledger.COMPANY, buyer.company_id)
            t = data.totals
            assert t.charged_fen - t.paid_fen - t.credited_fen + t.refunded_fen + t.adjusted_fen == data.closing_fen
            taxes = [a + b for a, b in zip(taxes, (t.vat_fen, t.consumption_tax_fen, t.tariff_fen))]
        assert taxes == [-ledger.balance(ledger.TAX_HELD, kind, 0) for kind in ledger.TAX_KINDS]

    @invariant()
    def books_balance(self):
        if not hasattr(self, "received"):
            return
        assert ledger.trial_balance() == 0
        payments = db.session.scalar(select(func.coalesce(func.sum(Payment.total_fee), 0)))
        assert payments == self.received
        # An order is paid exactly when its charge is, and booked once.
        for order in db.session.scalars(select(Order)):
            charge = services.charge_of(order)
            assert (order.state in (OrderState.PAID, OrderState.REFUNDED)) == (charge.status == ChargeStatus.PAID)
            entries = ledger.entries_for_order(order.id)
            kinds = [e.kind for e in entries if e.kind in ("charge", "payment")]
            assert kinds == (["charge", "payment"] if charge.status == ChargeStatus.PAID else [])
            assert all(e.company_id == order.company_id for e in entries)


def test_the_books_balance_under_any_sequence_of_payment_events(app, db_session, monkeypatch):
    # Automatic refunds are sent by a job after the commit; here only their booking counts.
    monkeypatch.setattr("app.payments.refunds.send_later", lambda refund: None)
    machine = Payments.TestCase
    machine.settings = settings(max_examples=40, stateful_step_count=20, deadline=None,
                                suppress_health_check=list(HealthCheck))
    machine().runTest()
