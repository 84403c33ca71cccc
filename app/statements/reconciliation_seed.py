"""Demo reconciliation: a few demo orders paid (as WeChat's notifies would record them) on a day
last week, that day's bill as WeChat could have sent it (one trade left out, one billed for
another amount, one trade no order of ours has), reconciled; and a day without trades. So the
finance pages show runs, exceptions and ledger balances after `make run`. Nothing is asked
of WeChat: the simulator is not running while demo data loads."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from app import accounts
from app.catalog.models import Offer
from app.catalog import Regime
from app.extensions import db
from app.orders import services as order_services
from app.payments import Attempt, TradeType
from app.payments import services as pay
from app.payments.gateway import BEIJING, Bill, BillRow, BillSummary, BillType
from app.statements import reconciliation
from app.statements.recon_models import ReconRun

DEMO_APPID, DEMO_MCH_ID = "wx8888888888888888", "1900000109"
TRADES = 4


def _offers() -> list[Offer]:
    """Offers a demo order can buy: general trade first (no customs declaration to send)."""
    found = list(db.session.scalars(select(Offer).where(Offer.active.is_(True), Offer.stock >= Offer.moq)
                                    .order_by((Offer.regime != Regime.GENERAL), Offer.id).limit(TRADES)))
    return found


def _paid(user, company_id: int, offer: Offer, at: datetime, n: int):
    """A demo order paid at `at`, recorded as WeChat's notify would report it."""
    order = order_services.create(user, company_id, [(offer.id, offer.moq)])
    charge = order_services.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}N1", trade_type=TradeType.NATIVE)
    db.session.add(attempt)
    db.session.flush()
    tid = f"4200{at:%Y%m%d}{n:016d}"
    pay.apply(pay.Result(attempt.out_trade_no, tid, charge.amount_fen, charge.amount_fen, 0, None, "CNY", "NATIVE",
                         "OTHERS", "oDemoPayer", at, {"demo": True}), "notify")
    return order, attempt, tid


def _row(at: datetime, tid: str, out_trade_no: str, fen: int, body: str) -> BillRow:
    fee = (fen * 6 + 500) // 1000   # WeChat's 0.6%, to the fen
    return BillRow(at, DEMO_APPID, DEMO_MCH_ID, tid, out_trade_no, "oDemoPayer", "NATIVE", "SUCCESS", "OTHERS", "CNY",
                   body[:40], "", "0.60%", fen, fee * 1000, fen)


def _bill(day: date, rows: list[BillRow]) -> Bill:
    total = sum(r.total_fee for r in rows)
    return Bill(day, BillType.ALL, rows, BillSummary(len(rows), total, 0, sum(r.fee_1e5_yuan for r in rows), total, 0))


def seed_demo() -> str:
    if db.session.scalar(select(ReconRun.id).limit(1)) is not None:
        return "reconciliation runs exist already"
    buyers, offers = accounts.members_who_buy(), _offers()
    if not buyers or not offers:
        return "no demo buyer or offer to reconcile"
    user, company_id = buyers[0]
    day = reconciliation.today() - timedelta(days=3)
    rows = []
    for n in range(TRADES):
        at = datetime.combine(day, time(9 + 2 * n, 17), BEIJING)
        order, attempt, tid = _paid(user, company_id, offers[n % len(offers)], at, n + 1)
        if n == 2:
            continue        # WeChat's bill leaves this one out
        billed = order.total_fen + (100 if n == 1 else 0)   # and bills this one for 1 yuan more
        rows.append(_row(at, tid, attempt.out_trade_no, billed, order.number))
    stranger = datetime.combine(day, time(21, 3), BEIJING)
    rows.append(_row(stranger, f"4200{day:%Y%m%d}{99:016d}", "KJ000000UNKNOWN1N1", 1990, "?"))
    reconciliation.reconcile(day, source=lambda _day: _bill(day, sorted(rows, key=lambda r: r.traded_at)),
                             repair=False)
    reconciliation.reconcile(day + timedelta(days=1), source=lambda _day: None, repair=False)
    return f"{TRADES} demo orders paid on {day.isoformat()}, reconciled with that day's bill; a day without trades"
