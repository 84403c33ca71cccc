"""Payment notify latency with 50 notifies in flight at once, under the Procfile's gunicorn.

500 unpaid orders get one notify each (signed with the development merchant key, as the
simulator signs them), sent by 50 concurrent clients; each notify locks its charge,
records the payment, posts the ledger and queues the SMS. The baseline, in the same run
on the same server and clients, is the portal's bare /hello at the same concurrency.

    python bench/notify.py      (make bench runs it)
"""
from __future__ import annotations

import os
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import BENCH_DATABASE_URL, bench_env, gunicorn, prepare  # noqa: E402

ORDERS = int(os.environ.get("NOTIFY_BENCH_ORDERS", 500))
CONCURRENCY = 50


def make_orders(count: int) -> list[tuple[str, int]]:
    """Orders with an attempt WeChat would know, straight in the bench database."""
    os.environ.update(bench_env())
    from app import create_app
    from app.accounts.models import User
    from app.catalog.models import Offer
    from app.extensions import db
    from app.orders import consignees, services
    from app.payments.gateway import TradeType
    from app.payments.models import Attempt

    app = create_app({"SQLALCHEMY_DATABASE_URI": BENCH_DATABASE_URL})
    out = []
    with app.app_context():
        buyer = db.session.scalar(db.select(User).where(User.email == "buyer@demo.test"))
        consignees.save(buyer, buyer.company_id, name="王小明", phone="13800138001", address="深圳市南山区 1 号",
                        id_number="11010519491231002X")
        offer = _bench_offer(db)
        for _ in range(count):
            order = services.create(buyer, buyer.company_id, [(offer.id, 1)])
            charge = services.charge_of(order)
            attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}N1", trade_type=TradeType.NATIVE)
            db.session.add(attempt)
            out.append((attempt.out_trade_no, charge.amount_fen))
        db.session.commit()
    return out


def _bench_offer(db):
    """A general-trade CNY offer with stock for every order of the run (no FX, no quota)."""
    from datetime import date
    from decimal import Decimal

    from app.catalog.models import Fulfilment, Offer, Product, Supplier

    supplier = db.session.scalar(db.select(Supplier).where(Supplier.name == "Bench bonded warehouse"))
    if supplier is None:
        supplier = Supplier(name="Bench bonded warehouse", country="CN", fulfilment=Fulfilment.BONDED_WAREHOUSE,
                            currency="CNY", lead_min_days=1, lead_max_days=3, on_time_rate=Decimal("0.99"),
                            rating=Decimal("4.9"))
        db.session.add(supplier)
        db.session.flush()
    offer = db.session.scalar(db.select(Offer).where(Offer.supplier_id == supplier.id))
    if offer is None:
        product = db.session.scalar(db.select(Product).order_by(Product.id))
        offer = Offer(supplier=supplier, product=product, supplier_sku="BENCH-1", currency="CNY",
                      unit_price_minor=9_900, stock=10**9, lead_time_days=2, regime="general",
                      valid_from=date(2020, 1, 1))
        db.session.add(offer)
        db.session.flush()
    return offer


def notify_body(out_trade_no: str, total: int, n: int) -> bytes:
    from app.config import WECHATPAY_DEV_DEFAULTS as dev
    from sandbox.wechatpay.protocol import nonce, sign, to_xml

    fields = {"return_code": "SUCCESS", "appid": dev["WECHATPAY_APPID"], "mch_id": dev["WECHATPAY_MCH_ID"],
              "nonce_str": nonce(), "result_code": "SUCCESS", "openid": "o-bench", "trade_type": "NATIVE",
              "bank_type": "CMC", "total_fee": str(total), "fee_type": "CNY", "cash_fee": str(total),
              "transaction_id": f"42000000012026120{n:011d}", "out_trade_no": out_trade_no,
              "time_end": "20261201120000"}
    fields["sign"] = sign(fields, dev["WECHATPAY_API_KEY"])
    return to_xml(fields).encode()


def timed(session_calls) -> list[float]:
    """Run each (method, url, kwargs) with CONCURRENCY clients; each request's seconds."""
    def run(call):
        method, url, kwargs = call
        started = time.perf_counter()
        r = requests.request(method, url, timeout=30, **kwargs)
        assert r.status_code == 200, (url, r.status_code, r.text[:200])
        return time.perf_counter() - started, r.text

    with ThreadPoolExecutor(CONCURRENCY) as pool:
        results = list(pool.map(run, session_calls))
    return results


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    prepare()
    orders = make_orders(ORDERS)
    with gunicorn() as base:
        timed([("GET", base + "/hello", {})] * 200)  # warm-up
        hello = [s for s, _ in timed([("GET", base + "/hello", {})] * ORDERS)]
        calls = [("POST", base + "/payments/wechatpay/notify",
                  {"data": notify_body(no, total, i), "headers": {"Content-Type": "text/xml"}})
                 for i, (no, total) in enumerate(orders)]
        results = timed(calls)
    latencies = [s for s, _ in results]
    failed = [t for _, t in results if "SUCCESS" not in t]
    if failed:
        raise SystemExit(f"{len(failed)} notifies were not acknowledged: {failed[:3]}")
    print(f"{ORDERS} notifies, {CONCURRENCY} at a time, Procfile's gunicorn")
    print(f"notify    p50 {p(latencies, 50) * 1000:7.1f} ms   p99 {p(latencies, 99) * 1000:7.1f} ms   (target p99 <= 50 ms)")
    print(f"/hello    p50 {p(hello, 50) * 1000:7.1f} ms   p99 {p(hello, 99) * 1000:7.1f} ms")
    print(f"ratio notify p99 / hello p99 = {p(latencies, 99) / p(hello, 99):.2f}")


if __name__ == "__main__":
    main()
