"""Scan → page shows paid: how long a desktop buyer waits, from the payer pressing Pay on the
phone to the payment page having moved on to the paid order.

The portal runs as the Procfile runs it (its gunicorn web line and its RQ worker) and talks
to the WeChat Pay simulator (`python -m sandbox.wechatpay`, a process and port of its own)
over HTTP; the simulator posts the payment notify back to the portal's notify route, as
WeChat does. For each of SCAN_BENCH_ORDERS unpaid orders of the demo buyer, one at a time:

* the buyer's payment page is loaded and asks for its QR code (the htmx POST it makes on
  load), then watches our status fragment as the page does: `hx-trigger="every 1s"` with an
  outerHTML swap, so one second after the page loads and one second after each answer;
  an answer with HX-Redirect is followed to the order page, as the browser follows it;
* the payer, 1-3 s after the page loaded (a random moment, so the page's one-second tick
  falls anywhere), pays on the simulator's scan page: the form POST its Pay button sends.

Counted: from just before that POST to the order page's arrival. The same is then run
with a watcher that asks every 20 ms instead of every second: how long until our own
status says paid, the page's tick aside (the notify's trip and the portal's handling).
Target: median <= 1.5 s for the page.

    TEST_DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/scan_to_paid.py   (make bench runs it)
"""
from __future__ import annotations

import os
import random
import re
import statistics
import sys
import tempfile
import threading
import time
import uuid
from html import unescape
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (  # noqa: E402
    BENCH_DATABASE_URL, BUYER, ROOT, VENV_BIN, bench_env, csrf_token, free_port, gunicorn, prepare, running)

ORDERS = int(os.environ.get("SCAN_BENCH_ORDERS", 20))
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
PAGE_TICK, FAST_TICK = 1.0, 0.02
TIMEOUT = 30.0


def unpaid_orders(count: int) -> list[int]:
    """`count` new orders of the demo buyer for a CNY general-trade offer (no FX, no quota)."""
    from sqlalchemy import select

    from app import create_app
    from app.accounts.models import User
    from app.extensions import db
    from app.orders import consignees, services
    from bench.notify import _bench_offer

    app = create_app({"SQLALCHEMY_DATABASE_URI": BENCH_DATABASE_URL})
    with app.app_context():
        buyer = db.session.scalar(select(User).where(User.email == BUYER["email"]))
        if consignees.default_consignee(buyer.id) is None:
            consignees.save(buyer, buyer.company_id, name="王小明", phone="13800138001",
                            address="深圳市南山区 1 号", id_number="11010519491231002X")
        offer = _bench_offer(db)
        ids = [services.create(buyer, buyer.company_id, [(offer.id, 1)]).id for _ in range(count)]
        db.session.commit()
        db.session.remove()
    return ids


def signed_in(base: str) -> requests.Session:
    s = requests.Session()
    s.headers["User-Agent"] = DESKTOP
    r = s.post(base + "/login", data={**BUYER, "csrf_token": csrf_token(s.get(base + "/login").text)},
               allow_redirects=False)
    assert r.status_code == 303, r.status_code
    return s


def watch(session: requests.Session, base: str, order_id: int, tick: float, loaded: float, seen: list[float]) -> None:
    """Our status fragment, asked as the page asks it: `tick` seconds after the page loaded and
    after each answer; an HX-Redirect is followed to the order page. Appends the arrival time."""
    deadline = loaded + TIMEOUT
    wait_until = loaded + tick
    while time.monotonic() < deadline:
        time.sleep(max(0.0, wait_until - time.monotonic()))
        r = session.get(f"{base}/orders/{order_id}/status", headers={"HX-Request": "true"}, allow_redirects=False)
        target = r.headers.get("HX-Redirect")
        if target:
            page = session.get(base + target)
            assert page.status_code == 200 and 'data-state="paid"' in page.text, (page.status_code, target)
            seen.append(time.monotonic())
            return
        assert r.status_code == 200 and 'data-state="waiting"' in r.text, (r.status_code, r.text[:300])
        wait_until = time.monotonic() + tick


def one_payment(session: requests.Session, base: str, simulator: str, order_id: int, tick: float) -> float:
    """Seconds from the payer's Pay to the order page, for one order."""
    page = session.get(f"{base}/orders/{order_id}/pay")
    assert page.status_code == 200, page.status_code
    loaded = time.monotonic()
    token = re.search(r'"X-CSRFToken": "([^"]+)"', page.text).group(1)
    fragment = session.post(f"{base}/orders/{order_id}/prepay",
                            headers={"HX-Request": "true", "X-CSRFToken": token})
    assert fragment.status_code == 200, (fragment.status_code, fragment.text[:300])
    scan = unescape(re.search(r'href="([^"]+)"[^>]*data-sandbox-scan', fragment.text).group(1))
    code_url = parse_qs(urlsplit(scan).query)["code_url"][0]
    seen: list[float] = []
    watcher = threading.Thread(target=watch, args=(session, base, order_id, tick, loaded, seen))
    watcher.start()
    time.sleep(max(0.0, loaded + random.uniform(1.0, 3.0) - time.monotonic()))
    pressed = time.monotonic()
    paid = requests.post(simulator + "_sandbox/scan", data={"code_url": code_url, "decision": "pay"}, timeout=10)
    assert paid.status_code == 200, (paid.status_code, paid.text[:300])
    watcher.join(TIMEOUT + 5)
    if not seen:
        raise SystemExit(f"order {order_id}: the page never showed it paid within {TIMEOUT:.0f} s")
    return seen[0] - pressed


def summary(name: str, values: list[float]) -> str:
    values = sorted(values)
    p90 = values[min(len(values) - 1, round(0.9 * (len(values) - 1)))]
    return (f"{name:<44} median {statistics.median(values):5.2f} s   p90 {p90:5.2f} s   "
            f"min {values[0]:5.2f} s   max {values[-1]:5.2f} s")


def main() -> None:
    prepare()
    order_ids = unpaid_orders(2 * ORDERS)
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    queue = f"bench-scan-{uuid.uuid4().hex[:8]}"  # none of earlier runs' jobs: this run's alone
    port, sim_port = free_port(), free_port()
    simulator = f"http://127.0.0.1:{sim_port}/"
    portal_env = {"WECHATPAY_API_BASE": simulator, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
                  "RQ_QUEUE": queue, "REDIS_URL": redis_url}
    with tempfile.TemporaryDirectory() as tmp, \
            running("simulator", [sys.executable, "-m", "sandbox.wechatpay", "--host", "127.0.0.1", "--port", str(sim_port)],
                    {**os.environ, "SANDBOX_DB": str(Path(tmp) / "sandbox.sqlite3"), "SANDBOX_TIME_SCALE": "1"},
                    simulator + "_sandbox/"), \
            running("worker", [str(VENV_BIN / "rq"), "worker", "--url", redis_url, "--with-scheduler",
                               "--worker-class", "app.core.worker.AppWorker", "--logging_level", "WARNING", queue],
                    bench_env(**portal_env, PYTHONPATH=str(ROOT))), \
            gunicorn(port=port, **portal_env) as base:
        session = signed_in(base)
        one_payment(session, base, simulator, order_ids.pop(), PAGE_TICK)  # warm-up: each process's first
        page = [one_payment(session, base, simulator, order_ids.pop(), PAGE_TICK) for _ in range(ORDERS - 1)]
        fast = [one_payment(session, base, simulator, order_ids.pop(), FAST_TICK) for _ in range(ORDERS - 1)]
        session.close()
    print(f"{len(page)} payments, one at a time, after one to warm up; the Procfile's gunicorn and RQ worker, "
          f"the simulator in its own process posting the notify")
    print(summary("scan -> page shows paid (page's 1 s polling)", page) + "   (target median <= 1.5 s)")
    print(summary("scan -> status says paid (asked every 20 ms)", fast))


if __name__ == "__main__":
    main()
