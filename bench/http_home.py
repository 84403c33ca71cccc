"""The portal's pages in requests per second, as ratios to a bare Flask "fortunes" page.

The yardstick is bench/_bare_app.py: a minimal Flask app whose `/fortunes` runs one
SQLAlchemy Core query for 20 products and renders a 20-row template, with no session.
It and the portal run side by side, each in its own gunicorn with the same worker
settings (2 sync workers; BENCH_WORKERS and BENCH_THREADS change both), on the same
database, loaded with the seed-bench catalog (20,000 products, 100,000 offers). wrk
measures every page in the same run, in short runs alternating with runs of the bare page,
and divides the two means: the ratios, not the figures, are what to compare between runs
and machines.
Goal: home, catalog list, product and compare pages each at least as fast as the bare page
(ratio >= 1); the portal's /hello shows what its per-request middleware alone costs.

Round trips per request are counted in-process on the same database and settings,
after a warm-up: SQL statements, the BEGIN/COMMIT/ROLLBACK around them, pool pings.

    TEST_DATABASE_URL=... REDIS_URL=... .venv/bin/python bench/http_home.py   (make bench runs it)
"""
from __future__ import annotations

import os
import shutil
import statistics
import sys
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import (  # noqa: E402
    BUYER, ROOT, RoundTrips, bench_env, csrf_token, gunicorn, prepare, procfile_web_command, wrk)

SLICE, SLICES = os.environ.get("BENCH_SLICE", "2s"), int(os.environ.get("BENCH_SLICES", "3"))
WARMUP = "2s"
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
THREADS = int(os.environ.get("BENCH_THREADS", "1"))
BARE = "bench._bare_app:app"


def portal_pages(product_id: int) -> dict[str, str]:
    return {"/hello": "/hello", "home": "/", "catalog list": "/catalog",
            "product page": f"/catalog/products/{product_id}",
            "compare page": f"/catalog/products/{product_id}/compare"}


def catalog_facts() -> tuple[int, int, int, int]:
    """(products, offers, the demo product with the most offers, its offer count)."""
    from sqlalchemy import func, select

    from app import create_app
    from app.catalog.models import Offer, Product
    from app.extensions import db

    with create_app().app_context():
        products = db.session.scalar(select(func.count(Product.id)))
        offers = db.session.scalar(select(func.count(Offer.id)))
        product_id, n = db.session.execute(
            select(Product.id, func.count(Offer.id)).join(Offer, Offer.product_id == Product.id)
            .where(Product.model.not_like("BENCH-%")).group_by(Product.id)
            .order_by(func.count(Offer.id).desc(), Product.id).limit(1)).one()
        db.session.remove()
    return products, offers, product_id, n


def count_round_trips(client, counter: RoundTrips, path: str) -> tuple[int, int, int]:
    """(statements, BEGIN/END, pings) of one request for `path`, after three to warm up."""
    for _ in range(4):
        counter.reset()
        response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
    return counter.statements, counter.transaction, counter.pings


def round_trips(pages: dict[str, str], who: dict[str, str] = BUYER) -> dict[str, tuple[int, int, int]]:
    from app import create_app
    from app.extensions import db
    from bench import _bare_app

    app = create_app()
    client = app.test_client()
    response = client.post("/login", data={**who, "csrf_token": csrf_token(client.get("/login").get_data(as_text=True))})
    assert response.status_code == 303, response.status_code
    with app.app_context():
        counter = RoundTrips(db.engine)
    counts = {f"portal {name}": count_round_trips(client, counter, path) for name, path in pages.items()}
    bare, bare_counter = _bare_app.app.test_client(), RoundTrips(_bare_app.engine)
    counts.update({f"bare {path}": count_round_trips(bare, bare_counter, path) for path in ("/hello", "/fortunes")})
    return counts


def session_cookie(base: str, who: dict[str, str] = BUYER) -> str:
    s = requests.Session()
    r = s.post(base + "/login", data={**who, "csrf_token": csrf_token(s.get(base + "/login").text)},
               allow_redirects=False)
    assert r.status_code == 303, r.status_code
    # A browser keeps the cookie the first signed-in page sets (it adds the CSRF secret);
    # replaying the login's cookie would make every request set it again.
    s.get(base + "/")
    return "; ".join(f"{k}={v}" for k, v in s.cookies.items())


def check(url: str, cookie: str | None, shown: str = "王小明") -> None:
    """The page answers 200 (signed in, when given the cookie, as the user whose name is
    `shown` in the top bar: seed-demo's buyer by default); then a warm-up run."""
    r = requests.get(url, headers={"Cookie": cookie} if cookie else {}, allow_redirects=False)
    assert r.status_code == 200, (url, r.status_code)
    assert cookie is None or shown in r.text, f"{url}: not signed in"
    wrk(url, WARMUP, cookie)


def measure(pages: dict[str, str], facts: str, goal_pages: list[str], who: dict[str, str] = BUYER,
            shown: str = "王小明") -> None:
    """Measure `pages` (name → path; all but /hello signed in as `who`, whose top bar shows
    `shown`) against the bare page, in one run, and print the table; `facts` describes the
    data they ran over."""
    trips = round_trips(pages, who)
    # Runs of each page alternate with runs of the bare page, so that the load of whatever
    # else runs on the machine weighs on both sides of each ratio.
    rps: dict[str, float] = {}
    beside: dict[str, float] = {}
    with gunicorn(BARE, WORKERS, THREADS) as bare, gunicorn("wsgi:app", WORKERS, THREADS) as portal:
        cookie = session_cookie(portal, who)
        targets = {"bare /hello": (bare + "/hello", None)}
        targets.update({f"portal {name}": (portal + path, None if path == "/hello" else cookie)
                        for name, path in pages.items()})
        check(bare + "/fortunes", None)
        for url, page_cookie in targets.values():
            check(url, page_cookie, shown)
        for name, (url, page_cookie) in targets.items():
            runs = [(wrk(bare + "/fortunes", SLICE), wrk(url, SLICE, page_cookie)) for _ in range(SLICES)]
            beside[name] = statistics.mean(r[0] for r in runs)
            rps[name] = statistics.mean(r[1] for r in runs)

    kind = "sync" if THREADS == 1 else f"gthread, {THREADS} threads each"
    procfile = procfile_web_command(0)
    print(f"both servers: gunicorn, {WORKERS} workers ({kind}); the Procfile's web line has "
          f"--workers {procfile[procfile.index('--workers') + 1]} --threads {procfile[procfile.index('--threads') + 1]}")
    print(f"wrk -t2 -c16, after a {WARMUP} warm-up {SLICES} runs of {SLICE} per page, each after one of bare /fortunes; "
          f"portal pages but /hello signed in as {who['email']}")
    print(facts)
    print(f"{'page':<22}{'req/s':>7}{'bare fortunes':>15}{'ratio':>7}   {'SQL':>3}{'BEGIN/END':>10}{'ping':>5}{'round trips':>12}")

    def row(name: str, value: str, yardstick: str, ratio: str) -> None:
        t = trips[name]
        print(f"{name:<22}{value:>7}{yardstick:>15}{ratio:>7}   {t[0]:>3}{t[1]:>10}{t[2]:>5}{sum(t):>12}")

    means = list(beside.values())
    row("bare /fortunes", f"{statistics.mean(means):.0f}", f"{min(means):.0f}-{max(means):.0f}", "1.00")
    for name, value in rps.items():
        row(name, f"{value:.0f}", f"{beside[name]:.0f}", f"{value / beside[name]:.2f}")
    print("ratio = req/s / req/s of the bare fortunes runs alternating with that page's (bare fortunes row: "
          "their mean and range over the pages); round trips of one request, counted in-process")
    slow = [name for name in goal_pages if rps[f"portal {name}"] < beside[f"portal {name}"]]
    print(f"goal, each of {', '.join(goal_pages)} at least as fast as the bare fortunes page: "
          + ("met" if not slow else "NOT met by " + ", ".join(slow)))


def ready() -> None:
    """The bench database migrated and seeded (demo data and the bench catalog)."""
    if not shutil.which("wrk"):
        raise SystemExit("wrk is not installed (make bench installs it)")
    if any(not po.with_suffix(".mo").exists() for po in ROOT.glob("app/*/translations/*/LC_MESSAGES/messages.po")):
        raise SystemExit("translations are not compiled, so pages would not render as served: make translations")
    prepare("seed-bench")
    os.environ.update(bench_env())


def main() -> None:
    ready()
    n_products, n_offers, product_id, n_offers_product = catalog_facts()
    pages = portal_pages(product_id)
    measure(pages, f"catalog {n_products:,} products, {n_offers:,} offers; product {product_id} has "
                   f"{n_offers_product} offers", [name for name in pages if name != "/hello"])


if __name__ == "__main__":
    main()
