"""Money reported back: the daily reconciliation with WeChat Pay's bills, buyer statements
(PDF and CSV), supplier settlement and payouts, and the finance pages over the ledger.

Other domains use: nothing yet. (The ledger entries reconciliation posts for WeChat's fees are
listed in app/statements/reconciliation.py; supplier settlement reads them.)
"""
from __future__ import annotations

from flask import Flask

__all__ = ["register"]


def register(app: Flask) -> None:
    from app.statements import views

    app.register_blueprint(views.bp)
    _register_reconciliation(app)


def _register_reconciliation(app: Flask) -> None:
    """Reconciliation with WeChat Pay's bills and the ledger's pages, for platform finance."""
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.core.cli import add_seeder
    from app.core.jobs import schedule
    from app.statements import recon_models, recon_views, reconciliation_jobs, reconciliation_seed  # noqa: F401
    from app.statements.reconciliation_texts import table_label

    app.register_blueprint(recon_views.bp)
    app.add_template_global(table_label, "recon_label")
    navigation.add(app, "finance.runs", _l("Reconciliation"), recon_views.FINANCE, order=60)
    navigation.add(app, "finance.ledger_page", _l("Ledger"), recon_views.FINANCE, order=62)
    reconciliation_jobs.init_cli(app)
    add_seeder(app, "reconciliation", reconciliation_seed.seed_demo)
    # WeChat makes a day's bill from 09:00 the next day; the cron process runs in Beijing time.
    schedule(app, reconciliation_jobs.reconcile_recent_days, cron="30 10 * * *", timeout=300)
