"""Supplier price-list import at the file limit: 50,000 new rows through a real RQ worker on
the seed-bench catalog (20,000 products, 100,000 offers) in PostgreSQL.

Each import is uploaded as the ops page does (the file stored, its intent enqueued by the
commit) and run by `rq worker --worker-class app.core.worker.AppWorker --burst`, as the
Procfile starts it; the worker's peak memory is its process tree's RSS high-water mark
(getrusage of a wrapper process that waits for it, so the work horse is counted).
Baselines measured in the same run: a 5,000-row import (time and memory should grow no
faster than the rows), an empty job on the same worker (the memory the app alone takes),
and reading the 50,000-row file with the CSV reader alone.

    python bench/price_import.py     (make bench runs it)
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BENCH_DATABASE_URL, ROOT, VENV_BIN, bench_env, prepare  # noqa: E402

SIZES = (5_000, int(os.environ.get("PRICE_IMPORT_ROWS", 50_000)))
TIMEOUT = float(os.environ.get("PRICE_IMPORT_TIMEOUT", 1800))
SUPPLIER_PREFIX = "Bench price import"
NOOP = "bench.price_import.noop"
HEADER = "supplier_sku,gtin,unit_price,stock,lead_time_days,moq,regime,tiers,valid_to,shipping_base,insurance_rate\n"
# Runs a command and prints the peak RSS (KiB) of everything it started and waited for.
PEAK = ("import resource, subprocess, sys\n"
        "rc = subprocess.call(sys.argv[2:])\n"
        "open(sys.argv[1], 'w').write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))\n"
        "sys.exit(rc)\n")


def noop() -> None:
    """The memory baseline: a job that does nothing, on the same worker."""


def price_list(rows: int, gtins: list[str]) -> str:
    lines = [HEADER]
    for i in range(rows):
        tiers = f"10:{4 + i % 7}.50; 50:{3 + i % 5}.90" if i % 3 == 0 else ""
        valid_to = "2099-12-31" if i % 4 == 0 else ""
        lines.append(f"PB-{i:06d},{gtins[i % len(gtins)]},{9 + i % 90}.{i % 100:02d},{i % 500},{3 + i % 20},"
                     f"{1 if i % 5 else 6},{'retail' if i % 4 else 'general'},{tiers},{valid_to},3.00,0.003\n")
    return "".join(lines)


def run_worker(queue_name: str, redis_url: str) -> tuple[float, int]:
    """Work the queue empty with one burst worker; returns (wall seconds, peak RSS in MiB)."""
    env = bench_env(RQ_QUEUE=queue_name, PYTHONPATH=str(ROOT))
    with tempfile.NamedTemporaryFile("r", suffix=".rss") as rss, tempfile.TemporaryFile() as log:
        start = time.monotonic()
        done = subprocess.run(
            [sys.executable, "-c", PEAK, rss.name, str(VENV_BIN / "rq"), "worker", "--burst", "--url", redis_url,
             "--worker-class", "app.core.worker.AppWorker", "--logging_level", "WARNING", queue_name],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, timeout=TIMEOUT)
        wall = time.monotonic() - start
        if done.returncode:
            log.seek(0)
            raise SystemExit(f"the worker exited with {done.returncode}:\n{log.read().decode(errors='replace')[-3000:]}")
        return wall, int(rss.read()) // 1024


def clean_up() -> None:
    """Remove what earlier runs imported, and reprice the products it touched."""
    from sqlalchemy import delete, select, update

    from app.catalog.jobs import import_key
    from app.catalog.models import Offer, PriceListImport, Product, Supplier
    from app.catalog.services import refresh_best_prices
    from app.core.jobs import Intent
    from app.extensions import db

    ids = list(db.session.scalars(select(Supplier.id).where(Supplier.name.like(f"{SUPPLIER_PREFIX}%"))))
    if not ids:
        return
    offers = select(Offer.id).where(Offer.supplier_id.in_(ids))
    touched = set(db.session.scalars(select(Offer.product_id).where(Offer.supplier_id.in_(ids)).distinct()))
    imports = list(db.session.scalars(select(PriceListImport.id).where(PriceListImport.supplier_id.in_(ids))))
    db.session.execute(update(Product).where(Product.best_offer_id.in_(offers)).values(best_offer_id=None))
    db.session.execute(delete(Offer).where(Offer.supplier_id.in_(ids)))  # price points go with them
    db.session.execute(delete(Intent).where(Intent.key.in_([import_key(i) for i in imports])))
    db.session.execute(delete(PriceListImport).where(PriceListImport.id.in_(imports)))
    db.session.execute(delete(Supplier).where(Supplier.id.in_(ids)))
    refresh_best_prices(touched)
    db.session.commit()


def measure(app, text: str, rows: int) -> dict[str, float]:
    from decimal import Decimal

    from app.catalog import services
    from app.catalog.jobs import import_key
    from app.catalog.models import Fulfilment, ImportStatus, PriceListImport
    from app.core.jobs import Intent
    from app.extensions import db

    queue_name = f"bench-import-{uuid.uuid4().hex[:8]}"
    app.config["RQ_QUEUE"] = queue_name
    supplier = services.save_supplier(None, {
        "name": f"{SUPPLIER_PREFIX} {rows} {uuid.uuid4().hex[:6]}", "country": "US",
        "fulfilment": Fulfilment.OVERSEAS_WAREHOUSE, "currency": "USD", "lead_min_days": 3, "lead_max_days": 20,
        "on_time_rate": Decimal("0.95"), "rating": Decimal("4.5")})
    job = services.accept_import(supplier, None, f"bench-{rows}.csv", text)
    db.session.commit()  # enqueues the import's job
    job_id = job.id
    wall, peak = run_worker(queue_name, app.config["REDIS_URL"])
    db.session.expire_all()
    job = db.session.get(PriceListImport, job_id)
    intent = db.session.query(Intent).filter_by(key=import_key(job_id)).one()
    if job.status != ImportStatus.DONE or job.created_count != rows:
        raise SystemExit(f"the {rows}-row import ended {job.status.value} "
                         f"({job.created_count} created): {job.errors[:3]} {intent.last_error}")
    return {"task": (intent.finished_at - intent.started_at).total_seconds(), "wall": wall, "peak": peak}


def main() -> None:
    prepare("seed-bench")
    os.environ.update(bench_env())
    from redis import Redis
    from rq import Queue
    from sqlalchemy import select

    from app import create_app
    from app.catalog import importer, services
    from app.catalog.models import Product, Supplier
    from app.core import csvio
    from app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": BENCH_DATABASE_URL})
    with app.app_context():
        clean_up()
        gtins = list(db.session.scalars(select(Product.gtin).where(Product.model.like("BENCH-%")).order_by(Product.id)))
        files = {n: price_list(n, gtins) for n in SIZES}
        big = files[SIZES[-1]]
        print(f"price_import: database {BENCH_DATABASE_URL.rsplit('/', 1)[-1]}, {len(gtins):,} products, "
              f"one AppWorker; files of {', '.join(f'{n:,} rows ({len(files[n]) / 1e6:.1f} MB)' for n in SIZES)}")

        start = time.perf_counter()
        records = sum(1 for _ in csvio.read(big)) - 1
        read_s = time.perf_counter() - start
        usd = db.session.scalar(select(Supplier).where(Supplier.currency == "USD").order_by(Supplier.id).limit(1))
        start = time.perf_counter()
        checked = importer.check(big, usd, services.today())
        check_s = time.perf_counter() - start
        db.session.rollback()
        assert records == SIZES[-1] and not checked.errors, checked.errors[:3]

        queue_name = f"bench-import-{uuid.uuid4().hex[:8]}"
        Queue(queue_name, connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(NOOP)
        _, idle_peak = run_worker(queue_name, app.config["REDIS_URL"])
        try:
            results = {n: measure(app, files[n], n) for n in SIZES}
        finally:
            db.session.rollback()
            clean_up()

    small, large = results[SIZES[0]], results[SIZES[-1]]
    print(f"  reading the {SIZES[-1]:,}-row file (csvio.read alone): {read_s:.2f} s; "
          f"checking it (importer.check, in process): {check_s:.2f} s")
    print(f"  worker with an empty job: peak RSS {idle_peak} MiB")
    for n in SIZES:
        r = results[n]
        print(f"  {n:>6,} rows: task {r['task']:6.1f} s ({r['task'] / n * 1e6:5.0f} µs a row), "
              f"worker start to exit {r['wall']:6.1f} s, peak RSS {r['peak']} MiB "
              f"({r['peak'] - idle_peak:+d} MiB over the empty job)")
    factor = SIZES[-1] / SIZES[0]
    print(f"  ratios {SIZES[-1]:,} / {SIZES[0]:,} rows ({factor:.0f}x the rows): time {large['task'] / small['task']:.2f}x, "
          f"peak RSS {large['peak'] / small['peak']:.2f}x (over the empty job "
          f"{(large['peak'] - idle_peak) / max(small['peak'] - idle_peak, 1):.2f}x); "
          f"import / file reading {large['task'] / read_s:.0f}x, import / check {large['task'] / check_s:.1f}x")


if __name__ == "__main__":
    main()
