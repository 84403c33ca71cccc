"""Background work: supplier price-list imports and best-price refreshes.

Imports and the refreshes an FX rate or tax change needs are tasks of the durable
after-commit work (app.core.jobs): the service that accepts an upload or saves a rate
writes the intent in the same transaction, so a Redis outage delays the work and
never loses it. Each task's database work commits together with its intent.
"""
from __future__ import annotations

from collections.abc import Callable

from flask import current_app

from app.core.db import transactional
from app.core.jobs import job_context, task

PROGRESS_TTL = 24 * 3600


def progress_key(import_id: int) -> str:
    return f"catalog:price-import:{import_id}:progress"


def import_key(import_id: int) -> str:
    """The dedup key of an import's intent: one upload is imported once."""
    return f"catalog:price-import:{import_id}"


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


def _reporter(import_id: int) -> Callable[..., None]:
    from redis.exceptions import RedisError

    from app.core.redis import redis_client

    client = redis_client()

    def report(done: int, total: int, phase: str = "check") -> None:
        try:
            client.set(progress_key(import_id), f"{done}/{total}/{phase}", ex=PROGRESS_TTL)
        except RedisError:  # progress is a nicety; the import goes on
            pass

    return report


def _import_failed(import_id: int, error: Exception) -> None:
    from app.catalog import services

    services.import_failed(import_id)


@task(timeout=1800, retries=1, on_dead=_import_failed)
def run_price_list_import(import_id: int) -> str:
    """Check the stored file and apply it whole, or record every bad row and change nothing."""
    from app.catalog import services

    with job_context():
        return services.run_import(import_id, _reporter(import_id))


@task(timeout=1800)
def refresh_for_currency(currency: str) -> int:
    """Recompute stored best prices of the products offered in `currency` (a new FX rate)."""
    from app.catalog import services

    with job_context():
        return services.refresh_best_prices(services.products_using_currency(currency))


@task(timeout=1800)
def refresh_for_tax_category(category_id: int) -> int:
    """Recompute stored best prices of the products in a changed tax category."""
    from app.catalog import services

    with job_context():
        return services.refresh_best_prices(services.products_in_tax_category(category_id))


def daily_refresh() -> int:
    """Offers start and stop being valid by date: every product's best price, just after midnight."""
    from app.catalog import services

    with job_context():
        return transactional(services.refresh_best_prices)()
