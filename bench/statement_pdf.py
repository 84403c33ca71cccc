"""A buyer statement of 1,000 lines as a PDF: the statement's own template (letterhead,
summary, taxes, "x / y" footers, header repeated on every page, CJK font) against
WeasyPrint rendering a bare table of the same rows, in the same process; and the whole
build (ledger read, CSV, PDF, stored files) through a real RQ worker, with the worker's
peak memory beside that of the same worker running an empty job.

The company's 1,000 lines (500 orders charged and paid) are booked in the bench database's
ledger once, as the orders domain books them, and read back by the statement's own query.

    python bench/statement_pdf.py     (make bench runs it; target: ratio ≤ 1.3)
"""
from __future__ import annotations

import os
import statistics
import sys
import time
import uuid
from datetime import date, datetime, time as day_time, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._common import BENCH_DATABASE_URL, bench_env, prepare  # noqa: E402
from bench.price_import import NOOP, run_worker  # noqa: E402  (the same worker, measured the same way)

LINES = int(os.environ.get("STATEMENT_LINES", 1_000))
RUNS = int(os.environ.get("STATEMENT_RUNS", 5))
COMPANY = "深圳市前海跨境贸易基准测试有限公司"
PERIOD = (date(2026, 1, 1), date(2026, 1, 31))


def company_with_history() -> int:
    """The bench company, its month booked to the ledger (once: event keys make it idempotent)."""
    from sqlalchemy import select

    from app import ledger
    from app.accounts.models import Company
    from app.core.validators import uscc_check_char
    from app.extensions import db
    from app.statements.statements import CHINA

    company = db.session.scalar(select(Company).where(Company.name == COMPANY))
    if company is None:
        first17 = "91440300MA5BENCH0"
        company = Company(name=COMPANY, credit_code=first17 + uscc_check_char(first17), contact_phone="+8675500000000")
        db.session.add(company)
        db.session.flush()
    start = datetime.combine(PERIOD[0], day_time(8), CHINA)
    for n in range(LINES // 2):
        at, amount = start + timedelta(minutes=80 * n), 12_000 + 37 * n
        tax = amount * 91 // 1091
        ledger.post(f"charge:bench-{company.id}-{n}", "charge",
                    [ledger.customer(company.id, amount), ledger.Line(ledger.SUPPLIER_PAYABLE, -(amount - tax), "supplier", 1),
                     ledger.Line(ledger.TAX_HELD, -tax, "vat")], company_id=company.id, at=at)
        ledger.post(f"payment:42000000{company.id:04d}2026{n:012d}", "payment",
                    [ledger.Line(ledger.CLEARING, amount), ledger.customer(company.id, -amount)],
                    company_id=company.id, at=at + timedelta(minutes=2))
    db.session.commit()
    return company.id


def bare_table(data) -> str:
    """The same rows, cell for cell, as the plainest HTML table WeasyPrint can lay out."""
    from app.statements.statement_build import _when

    rows = "".join(f"<tr><td>{_when(l.at)}</td><td>{l.kind}</td><td>{l.reference}</td>"
                   f"<td>{l.amount_fen if l.amount_fen > 0 else ''}</td><td>{-l.amount_fen if l.amount_fen < 0 else ''}</td>"
                   f"<td>{l.balance_fen}</td></tr>" for l in data.lines)
    return f"<html><body><table>{rows}</table></body></html>"


def compare(ours, bare) -> list[tuple[float, float, float, float]]:
    """(ours CPU, ours wall, bare CPU, bare wall) seconds per run, the two taken in turns so
    that a busy machine slows both alike. Rendering is single-threaded: the process's CPU
    time is its cost, the wall time what a person waits on this machine now."""
    runs = []
    for _ in range(RUNS):
        row = []
        for fn in (ours, bare):
            cpu, wall = time.process_time(), time.perf_counter()
            fn()
            row += [time.process_time() - cpu, time.perf_counter() - wall]
        runs.append(tuple(row))
    return runs


def pages(pdf: bytes) -> int:
    """The page count as poppler reads it."""
    import re
    import subprocess
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        info = subprocess.run(["pdfinfo", f.name], capture_output=True, text=True, check=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def main() -> None:
    prepare()
    os.environ.update(bench_env())
    from flask_babel import force_locale
    from redis import Redis
    from rq import Queue
    from sqlalchemy import delete, select
    from weasyprint import HTML

    from app import create_app
    from app.accounts.models import Company
    from app.core import files
    from app.core.jobs import Intent
    from app.core.models import utcnow
    from app.extensions import db
    from app.statements import statement_build, statement_service
    from app.statements.statement_models import Statement, StatementStatus
    from app.statements.statements import Period, read

    app = create_app({"SQLALCHEMY_DATABASE_URI": BENCH_DATABASE_URL})
    with app.app_context():
        company_id = company_with_history()
        data = read(company_id, Period(*PERIOD))
        assert len(data.lines) == LINES, f"{len(data.lines)} lines in the bench month, not {LINES}"
        company = db.session.get(Company, company_id)
        head = statement_build.Letterhead(company.name, company.credit_code, company.contact_phone)
        with force_locale("zh_CN"):  # as the worker renders a monthly statement: an app context, no request
            ours = statement_build.pdf_bytes(data, head, number=1, built_at=utcnow())
            bare = HTML(string=bare_table(data)).write_pdf()
            runs = compare(lambda: statement_build.pdf_bytes(data, head, number=1, built_at=utcnow()),
                           lambda: HTML(string=bare_table(data)).write_pdf())
        median = statistics.median
        print(f"statement_pdf: {LINES:,} lines, {RUNS} runs of each in turn, one process (medians)")
        print(f"  the statement's PDF: CPU {median(r[0] for r in runs):.2f} s, wall {median(r[1] for r in runs):.2f} s, "
              f"{pages(ours)} pages, {len(ours) / 1024:.0f} KiB")
        print(f"  a bare WeasyPrint table of the same rows: CPU {median(r[2] for r in runs):.2f} s, "
              f"wall {median(r[3] for r in runs):.2f} s, {pages(bare)} pages")
        print(f"  ratio statement / bare table: CPU {median(r[0] / r[2] for r in runs):.2f}, "
              f"wall {median(r[1] / r[3] for r in runs):.2f} (target ≤ 1.3)")

        queue_name = f"bench-statement-{uuid.uuid4().hex[:8]}"
        app.config["RQ_QUEUE"] = queue_name
        Queue(queue_name, connection=Redis.from_url(app.config["REDIS_URL"])).enqueue(NOOP)
        _, idle_peak = run_worker(queue_name, app.config["REDIS_URL"])
        statement = statement_service.request(company_id, *PERIOD)
        db.session.commit()  # enqueues its build
        statement_id = statement.id
        wall, peak = run_worker(queue_name, app.config["REDIS_URL"])
        db.session.expire_all()
        built = db.session.get(Statement, statement_id)
        intent = db.session.scalar(select(Intent).where(Intent.key == f"statement:{statement_id}"))
        try:
            if built.status != StatementStatus.READY or built.line_count != LINES:
                raise SystemExit(f"the build ended {built.status.value}: {intent.last_error}")
            task = (intent.finished_at - intent.started_at).total_seconds()
            print(f"  the whole build in an AppWorker (ledger, CSV, PDF, stored files): task {task:.2f} s, "
                  f"worker start to exit {wall:.1f} s")
            print(f"  worker peak RSS {peak} MiB; the same worker with an empty job {idle_peak} MiB "
                  f"({peak - idle_peak:+d} MiB for the statement)")
        finally:
            for key in (built.pdf_key, built.csv_key):
                if key:
                    files.remove(key)
            db.session.execute(delete(Intent).where(Intent.key == f"statement:{statement_id}"))
            db.session.execute(delete(Statement).where(Statement.id == statement_id))
            db.session.commit()


if __name__ == "__main__":
    main()
