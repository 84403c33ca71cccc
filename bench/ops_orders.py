"""The order desk's list over BENCH_DESK_ORDERS orders (default 10,000) in requests per second,
as ratios to the bare "fortunes" page of bench/http_home.py (same servers, same wrk runs), and
the queries a page costs, which must not grow with the page's depth or the orders it shows.

The two demo companies' buyers get the orders on the bench catalog's general-trade offer,
through the services (priced, paid through the one apply function a notify uses); every
fifth stays unpaid, every eighth paid one has a refund asked for, every 40th one approved.
The pages: the newest 20, a page deep in the list (keyset), and a filtered one (paid orders
with a refund waiting). Goal: each at least as fast as the bare page (ratio >= 1).

    TEST_DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/ops_orders.py
"""
from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import OPS, RoundTrips, csrf_token  # noqa: E402
from bench.http_home import measure, ready  # noqa: E402
from bench.http_orders import paid_as_notified  # noqa: E402
from bench.notify import _bench_offer  # noqa: E402

ORDERS = int(os.environ.get("BENCH_DESK_ORDERS", "10000"))
BATCH = 250


def desk_orders(count: int) -> tuple[int, int, str]:
    """(how many orders there are, an order id deep in the list, the newest order's number):
    tops the bench up to `count` orders."""
    from sqlalchemy import func, select, text

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.orders import aftersale, services
    from app.orders.models import Order

    app = create_app()
    with app.app_context():
        buyers = list(db.session.scalars(select(User).where(User.email.in_(["buyer@demo.test", "other@demo.test"]))
                                         .order_by(User.id)))
        ops = db.session.scalar(select(User).where(User.email == OPS["email"]))
        offer = _bench_offer(db)
        have = db.session.scalar(select(func.count(Order.id)))
        for n in range(have, count):
            buyer = buyers[n % len(buyers)]
            order = services.create(buyer, buyer.company_id, [(offer.id, 1 + n % 3)])
            if n % 5:
                paid_as_notified(order)
                if n % 8 == 1:
                    refund = aftersale.request_refund(order, reason="bench", requested_by_id=buyer.id,
                                                      amount_fen=100)
                    if n % 40 == 1:
                        aftersale.decide(order, refund.id, approve=True, actor_id=ops.id)
            if n % BATCH == BATCH - 1:
                db.session.commit()
                print(f"  {n + 1:,} orders", file=sys.stderr, flush=True)
        db.session.commit()
        if have < count:  # fresh statistics, as autovacuum would soon gather, for the planner
            db.session.execute(text("ANALYZE"))
            db.session.commit()
        total = db.session.scalar(select(func.count(Order.id)))
        deep = db.session.scalar(select(Order.id).order_by(Order.id.desc()).offset(total // 2).limit(1))
        newest = db.session.scalar(select(Order.number).order_by(Order.id.desc()).limit(1))
        db.session.remove()
    return total, deep, newest


def queries_per_page(paths: dict[str, str]) -> dict[str, int]:
    """SQL statements one request for each path runs, counted in-process after a warm-up."""
    from app import create_app
    from app.extensions import db

    app = create_app()
    client = app.test_client()
    token = csrf_token(client.get("/login").get_data(as_text=True))
    client.post("/login", data={"email": OPS["email"], "password": OPS["password"], "csrf_token": token})
    with app.app_context():
        counter = RoundTrips(db.engine)
    counts = {}
    for name, path in paths.items():
        for _ in range(2):
            counter.reset()
            assert client.get(path).status_code == 200, path
        counts[name] = counter.statements
    return counts


def main() -> None:
    ready()
    total, deep, newest = desk_orders(ORDERS)
    pages = {"/hello": "/hello", "desk, newest": "/ops/orders", "desk, deep page": f"/ops/orders?before={deep}",
             "desk, filtered": "/ops/orders?payment=paid&refund=requested"}
    counts = queries_per_page({**{k: v for k, v in pages.items() if k != "/hello"},
                               "desk, one order": f"/ops/orders?q={newest}"})
    print("SQL statements per desk page: " + ", ".join(f"{name} {n}" for name, n in counts.items())
          + (" (fixed)" if len(set(counts.values())) == 1 else " (NOT fixed)"))
    measure(pages, f"{total:,} orders of two companies; the deep page starts after order {deep}",
            [name for name in pages if name != "/hello"], account=OPS)


if __name__ == "__main__":
    main()
