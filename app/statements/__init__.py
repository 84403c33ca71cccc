"""Money reported back: the daily reconciliation with WeChat Pay's bills, buyer statements
(PDF and CSV), supplier settlement and payouts, and the finance pages over the ledger.

Other domains use:
    statements.read(company_id, Period(start, end))   a buyer company's statement data from the ledger
    statement_service.get(statement_id, company_id) / page(company_id, before=)   (the API)
    statement_models: Statement, StatementStatus
The ledger entries reconciliation posts for WeChat's fees are listed in
app/statements/reconciliation.py; supplier settlement reads them.
"""
from __future__ import annotations

from flask import Flask

__all__ = ["register"]


def register(app: Flask) -> None:
    from app.statements import views

    app.register_blueprint(views.bp)
    _register_reconciliation(app)
    _register_buyer_statements(app)
    _register_settlement(app)


def _register_reconciliation(app: Flask) -> None:
    """Reconciliation with WeChat Pay's bills and the ledger's pages, for platform finance."""
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.core.cli import add_seeder
    from app.core.periodic import schedule
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


def _register_buyer_statements(app: Flask) -> None:
    """Buyer statements: their pages, menu entry, nightly monthly run and demo data."""
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.core.cli import add_seeder
    from app.core.periodic import schedule
    from app.statements import statement_jobs, statement_seed, statement_views

    app.register_blueprint(statement_views.bp)
    navigation.add(app, "buyer_statements.index", _l("Statements"), statement_views.READERS, order=36)
    # Last month's statements, asked for at 02:30 Beijing time (cron runs with TZ=Asia/Shanghai).
    schedule(app, statement_jobs.monthly_statements, cron="30 2 * * *", timeout=1800)
    add_seeder(app, "statements", statement_seed.seed_demo)


def _register_settlement(app: Flask) -> None:
    """Supplier settlement and payouts: the finance pages and their demo data."""
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.core.cli import add_seeder
    from app.statements import payout_views, settlement_models, settlement_seed, settlement_views  # noqa: F401

    app.register_blueprint(settlement_views.bp)
    navigation.add(app, "settlement.periods", _l("Settlement"), settlement_views.FINANCE, order=86)
    add_seeder(app, "settlement", settlement_seed.seed_demo)
