"""The buyer's payment page and orders list in requests per second, as ratios to the bare
"fortunes" page of bench/http_home.py (same servers, same wrk runs, same round-trip count).

The demo buyer gets BENCH_ORDERS orders (default 200: ten pages of the list) on the bench
catalog, all but the newest paid; the payment page is the newest one's, waiting for its
payment (a GET renders it from our own rows: the prepay is a POST the page makes).
Goal: both at least as fast as the bare page (ratio >= 1).

    TEST_DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/http_orders.py   (make bench runs it)
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.http_home import measure, ready  # noqa: E402
from bench.notify import _bench_offer  # noqa: E402

ORDERS = int(os.environ.get("BENCH_ORDERS", "200"))


def paid_as_notified(order) -> None:
    """Pay `order` through the one apply function, as WeChat's notify of a QR code payment would."""
    from app.extensions import db
    from app.orders import services
    from app.payments import services as pay
    from app.payments.gateway import TradeType
    from app.payments.models import Attempt

    charge = services.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}B1", trade_type=TradeType.NATIVE)
    db.session.add(attempt)
    db.session.flush()
    pay.apply(pay.Result(out_trade_no=attempt.out_trade_no, transaction_id=f"4200000001202612{order.id:012d}",
                         total_fee=charge.amount_fen, cash_fee=charge.amount_fen, coupon_fee=0,
                         settlement_total_fee=None, fee_type="CNY", trade_type="NATIVE", bank_type="CMC",
                         openid="o-bench", paid_at=None, raw={}), "notify")


def buyer_orders(count: int) -> tuple[int, int]:
    """(the pending order's id, how many orders the buyer has): tops the buyer up to `count`
    orders, paid through the one apply function as a notify would, the newest left unpaid."""
    from sqlalchemy import func, select

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.orders import services
    from app.orders.models import Order, OrderState

    app = create_app()
    with app.app_context():
        buyer = db.session.scalar(select(User).where(User.email == "buyer@demo.test"))
        have = db.session.scalar(select(func.count(Order.id)).where(Order.buyer_id == buyer.id))
        offer = _bench_offer(db)
        for n in range(have, count):
            order = services.create(buyer, buyer.company_id, [(offer.id, 1)])
            if n == count - 1:
                break
            paid_as_notified(order)
        db.session.commit()
        pending = db.session.scalar(select(Order.id).where(Order.buyer_id == buyer.id,
                                                           Order.state == OrderState.PENDING_PAYMENT)
                                    .order_by(Order.id.desc()))
        total = db.session.scalar(select(func.count(Order.id)).where(Order.buyer_id == buyer.id))
        db.session.remove()
    if pending is None:
        raise SystemExit("the bench buyer has no unpaid order: drop the bench database and run again")
    return pending, total


def main() -> None:
    ready()
    pending, total = buyer_orders(ORDERS)
    pages = {"/hello": "/hello", "payment page": f"/orders/{pending}/pay", "orders list": "/orders"}
    measure(pages, f"the buyer has {total} orders; the payment page is order {pending}'s",
            ["payment page", "orders list"])


if __name__ == "__main__":
    main()
