"""Comparison and search on the seed-bench catalog (20,000 products, 100,000 offers) in PostgreSQL.

Prints, for a signed-in buyer:
  * server time (p50/p95) of the compare page and of search pages, measured around the
    WSGI call in-process, so the network and the client are not counted;
  * the same for a product with 5,000 offers (`seed_crowded_product`): its compare page
    and product page as a buyer reloads, sorts and pages them (the ranking kept in
    memory), the first view of a need (nothing kept: every offer costed), the size of
    each page and its queries;
  * the compare query's time through the app (SQLAlchemy, rows turned into OfferFacts)
    divided by the same SQL run directly on a psycopg cursor, in the same run;
  * SQL statements per page for products with 1 to 200 offers, and per search page.
Targets: compare p95 <= 30 ms (the 5,000-offer product's too), ratio <= 1.5, queries per
page fixed (not growing with offers) and <= 4.
"""
from __future__ import annotations

import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._common import BENCH_DATABASE_URL, bench_env, prepare  # noqa: E402

ROUNDS = int(os.environ.get("BENCH_ROUNDS", "300"))


def pct(samples: list[float], p: float) -> float:
    s = sorted(samples)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def ms(x: float) -> str:
    return f"{x * 1000:7.2f} ms"


def main() -> None:
    prepare("seed-bench")
    os.environ.update(bench_env())
    from sqlalchemy import event, func, select

    from app import create_app
    from app.catalog import queries, rankings
    from app.catalog.models import Offer, Product
    from app.catalog.seed import CROWDED_MODEL
    from app.catalog.services import today
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": BENCH_DATABASE_URL, "RATELIMIT_ENABLED": False,
                      "WTF_CSRF_ENABLED": False})
    client = app.test_client()
    r = client.post("/login", data={"email": "buyer@demo.test", "password": "demo-pass-2026"})
    assert r.status_code == 303, r.status_code

    with app.app_context():
        ids = list(db.session.scalars(select(Product.id).where(Product.model.like("BENCH-%")).order_by(Product.id)))
        by_count = dict(db.session.execute(
            select(Offer.product_id, func.count()).where(Offer.product_id.in_(ids[:2])).group_by(Offer.product_id)).all())
        crowded = db.session.scalar(select(Product.id).where(Product.model == CROWDED_MODEL))
        by_count[crowded] = db.session.scalar(select(func.count()).where(Offer.product_id == crowded))
        n_products = db.session.scalar(select(func.count(Product.id)))
        n_offers = db.session.scalar(select(func.count(Offer.id)))
        engine = db.engine
    big, mid = ids[0], ids[1]
    rng = random.Random(1)
    sample = [rng.choice(ids[2:]) for _ in range(ROUNDS)]

    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))

    def timed(url: str, forget: bool = False) -> tuple[float, int]:
        if forget:
            rankings.forget()
        statements.clear()
        t0 = time.perf_counter()
        response = client.get(url)
        elapsed = time.perf_counter() - t0
        assert response.status_code == 200, (url, response.status_code)
        sizes[url.split("?")[0]] = len(response.data)
        return elapsed, len(statements)

    sizes: dict[str, int] = {}
    for pid in sample[:30]:  # warm up pools, templates and caches
        timed(f"/catalog/products/{pid}/compare?quantity=3")

    compare, compare_q = [], set()
    for i, pid in enumerate(sample):
        t, q = timed(f"/catalog/products/{pid}/compare?quantity={1 + i % 12}")
        compare.append(t)
        compare_q.add(q)
    big_t = [timed(f"/catalog/products/{big}/compare?quantity=5")[0] for _ in range(50)]
    # Queries by offers, the first view (nothing in memory) and the next ones.
    q_cold, q_warm = {}, {}
    for pid, n in ((sample[0], 5), (mid, 50), (big, 200), (crowded, 5000)):
        q_cold[by_count.get(pid, n)] = timed(f"/catalog/products/{pid}/compare?quantity=5", forget=True)[1]
        q_warm[by_count.get(pid, n)] = timed(f"/catalog/products/{pid}/compare?quantity=5")[1]

    # The crowded product as a buyer uses it: reloads, another sort, the next rows.
    base = f"/catalog/products/{crowded}/compare?quantity=5"
    first = client.get(base).get_data(as_text=True)
    after = re.search(r'href="[^"]*after=([^&"]+)', first).group(1)
    views = [base, base + "&sort=unit", base + "&sort=lead", base + f"&after={after}"]
    for url in views:
        timed(url)
    crowd_t = [timed(views[i % len(views)])[0] for i in range(100)]
    profile_t = [timed(f"/catalog/products/{crowded}")[0] for _ in range(30)]
    crowd_cold = [timed(f"/catalog/products/{crowded}/compare?quantity={q}", forget=True)[0] for q in (1, 2, 3, 7, 12)]
    crowd_q = {timed(url)[1] for url in views}
    crowd_bytes, profile_bytes = sizes[f"/catalog/products/{crowded}/compare"], sizes[f"/catalog/products/{crowded}"]

    searches = ["/catalog?q=面霜", "/catalog?q=serum&page=3", "/catalog?category=electronics",
                "/catalog?country=JP&min_price=100&max_price=900", "/catalog?brand=Brand042",
                "/catalog?q=保湿&category=cosmetics&page=7", "/catalog?max_price=300", "/catalog"]
    for url in searches:
        timed(url)
    search, search_q = [], set()
    for i in range(ROUNDS):
        t, q = timed(searches[i % len(searches)])
        search.append(t)
        search_q.add(q)

    # The compare query: through the app versus the same SQL straight on the driver.
    with app.app_context():
        day = today()
        stmt_sql = {}
        for pid in sample[:100]:
            stmt = queries.offer_facts_stmt(pid, day)
            stmt_sql[pid] = str(stmt.compile(dialect=engine.dialect, compile_kwargs={"literal_binds": True}))
        raw = engine.raw_connection()
        cur = raw.cursor()
        for pid in sample[:20]:
            queries.offer_facts(pid, day)
            cur.execute(stmt_sql[pid]); cur.fetchall()
        app_t, direct_t = [], []
        for _ in range(3):
            for pid in sample[:100]:
                t0 = time.perf_counter(); queries.offer_facts(pid, day); app_t.append(time.perf_counter() - t0)
                t0 = time.perf_counter(); cur.execute(stmt_sql[pid]); cur.fetchall(); direct_t.append(time.perf_counter() - t0)
        cur.close(); raw.close()
        db.session.remove()

    ratio = statistics.median(app_t) / statistics.median(direct_t)
    print(f"catalog: {n_products} products, {n_offers} offers (PostgreSQL)")
    print(f"compare page  p50 {ms(pct(compare, 50))}  p95 {ms(pct(compare, 95))}  ({ROUNDS} products, 1-12 units)")
    print(f"compare page, product with {by_count.get(big, 200)} offers  p50 {ms(pct(big_t, 50))}  p95 {ms(pct(big_t, 95))}")
    print(f"compare page, product with {by_count[crowded]} offers  p50 {ms(pct(crowd_t, 50))}  p95 {ms(pct(crowd_t, 95))}"
          f"  (reload, sort, next rows; {crowd_bytes / 1024:.0f} KB; queries {sorted(crowd_q)})")
    print(f"  first view of a need (every offer costed)  p50 {ms(pct(crowd_cold, 50))}  max {ms(max(crowd_cold))}")
    print(f"product page, product with {by_count[crowded]} offers  p50 {ms(pct(profile_t, 50))}"
          f"  p95 {ms(pct(profile_t, 95))}  ({profile_bytes / 1024:.0f} KB)")
    print(f"search page   p50 {ms(pct(search, 50))}  p95 {ms(pct(search, 95))}  ({ROUNDS} searches)")
    print(f"compare query through the app {ms(statistics.median(app_t))}  direct SQL {ms(statistics.median(direct_t))}"
          f"  ratio app/direct = {ratio:.2f}")
    print("queries per compare page by offers, first view: " + ", ".join(f"{k} -> {v}" for k, v in sorted(q_cold.items()))
          + "; from memory: " + ", ".join(f"{k} -> {v}" for k, v in sorted(q_warm.items()))
          + f"; over the sample: {sorted(compare_q)}")
    print(f"queries per search page: {sorted(search_q)}")
    fixed = (len(set(q_cold.values())) == 1 and len(set(q_warm.values()) | crowd_q) == 1
             and compare_q <= set(q_cold.values()) | set(q_warm.values()))
    ok = pct(compare, 95) <= 0.030 and pct(crowd_t, 95) <= 0.030 and ratio <= 1.5 and fixed \
        and max(compare_q | set(q_cold.values())) <= 4 and max(search_q) <= 4
    print("targets (compare p95 <= 30 ms, 5,000 offers too; ratio <= 1.5; queries fixed <= 4): "
          + ("met" if ok else "NOT met"))


if __name__ == "__main__":
    main()
