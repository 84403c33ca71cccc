"""Background work: supplier price-list imports and best-price refreshes (RQ jobs).

Jobs run in a plain `rq worker`, outside any request, so each one opens an app
context of its own unless it is already inside one (tests, the CLI).
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app

from app.core.jobs import job_context

PROGRESS_TTL = 24 * 3600


def progress_key(import_id: int) -> str:
    return f"catalog:price-import:{import_id}:progress"


def read_progress(import_id: int) -> tuple[int, int, str] | None:
    """(rows checked, rows in file, phase "check" or "apply") as last reported by the job, or None."""
    from app.core.redis import redis_client

    try:
        raw = redis_client().get(progress_key(import_id))
    except Exception:  # progress is a nicety; the page still shows the stored status
        current_app.logger.warning("price import %s: progress unavailable", import_id)
        return None
    if not raw:
        return None
    done, total, phase = (raw.decode().split("/") + ["check"])[:3]
    return int(done), int(total), phase


def _reporter(import_id: int) -> Callable[[int, int], None]:
    from app.core.redis import redis_client

    client = redis_client()

    def report(done: int, total: int, phase: str = "check") -> None:
        client.set(progress_key(import_id), f"{done}/{total}/{phase}", ex=PROGRESS_TTL)

    return report


def run_price_list_import(import_id: int) -> str:
    """Check the stored file and apply it whole, or record every bad row and change nothing."""
    with job_context():
        from app.catalog import importer
        from app.catalog.models import ImportStatus, PriceListImport
        from app.catalog.services import today
        from app.core.models import utcnow
        from app.extensions import db

        job = db.session.get(PriceListImport, import_id, with_for_update=True)
        if job is None or job.status not in (ImportStatus.QUEUED, ImportStatus.RUNNING):
            return "nothing to do"
        job.status = ImportStatus.RUNNING
        db.session.commit()
        try:
            job = db.session.get(PriceListImport, import_id)
            supplier = job.supplier
            report = _reporter(import_id)
            checked = importer.check(job.content, supplier, today(), report)
            job.total_rows = checked.total
            if checked.errors:
                job.status, job.errors = ImportStatus.REJECTED, checked.errors
            else:
                report(checked.total, checked.total, "apply")
                job.created_count, job.updated_count = importer.apply(checked.rows, supplier, today())
                job.status = ImportStatus.DONE
            job.finished_at = utcnow()
            db.session.commit()
            return job.status.value
        except Exception:
            db.session.rollback()
            current_app.logger.exception("price import %s failed", import_id)
            job = db.session.get(PriceListImport, import_id)
            job.status, job.finished_at = ImportStatus.FAILED, utcnow()
            db.session.commit()
            raise


def refresh_products(product_ids: list[int] | None) -> int:
    """Recompute stored best prices after an FX rate or tax category change."""
    with job_context():
        from app.catalog.services import refresh_best_prices
        from app.extensions import db

        count = refresh_best_prices(product_ids)
        db.session.commit()
        return count


def enqueue(func: Callable[..., Any], *args: Any) -> bool:
    """Queue a job; call only after the commit the job depends on.

    Returns False (and logs) when Redis does not answer: the change is saved and the
    caller tells the user the background part will wait.
    """
    from redis.exceptions import RedisError

    from app.core.redis import queue

    try:
        queue().enqueue(func, *args, job_timeout=1800)
    except RedisError:
        current_app.logger.exception("could not queue %s", getattr(func, "__name__", func))
        return False
    return True
