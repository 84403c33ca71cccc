"""Demo statements: the first demo company's last month, so that its owner and finance
people find a ready statement with lines in it after `make run`.

Last month the company bought general-trade goods twice and paid both in WeChat Pay
(recorded as WeChat's notify is recorded), and was refunded part of one order. Those
payments happened before the WeChat Pay simulator of this installation existed, so
its bills do not list them. The statement of that month is then asked for as the
nightly run does, and built on the spot.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta

from sqlalchemy import select

from app.core import states
from app.extensions import db
from app.statements.statements import CHINA, Period

DEMO_OWNER = "buyer@demo.test"


def _pay(order, paid_at: datetime, serial: int) -> None:
    from app.orders import services as orders
    from app.payments import Attempt, TradeType
    from app.payments import services as payments

    charge = orders.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}N1", trade_type=TradeType.NATIVE)
    db.session.add(attempt)
    db.session.flush()
    transaction = f"42000000{paid_at:%Y%m%d}{serial:012d}"
    payments.apply(payments.Result(attempt.out_trade_no, transaction, order.total_fen, order.total_fen, 0, None,
                                   "CNY", "NATIVE", "CMC", "o-demo", paid_at, {}), "notify", now=paid_at)


def _refund(order, owner, at: datetime) -> None:
    from app.orders import aftersale
    from app.payments import RefundStatus
    from app.payments import refunds
    from app.payments.gateway import RefundState
    from app.payments.models import REFUND_MACHINE

    refund = aftersale.request_refund(order, reason="一箱外包装破损", requested_by_id=owner.id,
                                      amount_fen=order.total_fen // 4)
    refunds.approve(refund.id, actor_id=owner.id, note="照片核实", now=at)
    states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING, at=at)
    refunds.settle(refund, RefundState.SUCCESS, at + timedelta(hours=2), "招商银行信用卡0001")


def seed_demo() -> str:
    from app.accounts.models import User
    from app.catalog.models import Offer, Regime
    from app.orders import services as orders
    from app.statements import statement_build, statement_service
    from app.statements.statement_models import Statement

    owner = db.session.scalar(select(User).where(User.email == DEMO_OWNER))
    if owner is None or owner.company_id is None:
        return "no demo company: seed accounts first"
    company_id = owner.company_id
    month = Period.month_of(statement_service.today().replace(day=1) - timedelta(days=1))
    if db.session.scalar(select(Statement.id).where(Statement.company_id == company_id,
                                                    Statement.month == month.start)) is not None:
        return "demo statement already present; left unchanged"
    offers = list(db.session.scalars(select(Offer).where(Offer.active.is_(True), Offer.regime == Regime.GENERAL,
                                                         Offer.stock >= Offer.moq * 2).order_by(Offer.id).limit(2)))
    if len(offers) < 2:
        return "no general-trade offers to buy: seed the catalog first"
    day = lambda n, hour: datetime.combine(month.start + timedelta(days=n), time(hour), CHINA)  # noqa: E731
    bought = []
    for n, offer in enumerate(offers):
        order = orders.create(owner, company_id, [(offer.id, offer.moq)], now=day(3 + 9 * n, 10))
        _pay(order, day(3 + 9 * n, 10) + timedelta(minutes=4), n + 1)
        bought.append(order)
    _refund(bought[0], owner, day(20, 15))
    statement_service.request_monthly(month.end + timedelta(days=1))
    statement = db.session.scalar(select(Statement).where(Statement.company_id == company_id,
                                                          Statement.month == month.start))
    statement_build.build(statement.id)
    return f"2 demo orders paid in {month.start:%Y-%m}, one partly refunded, and that month's statement"
