"""Money reported back: the daily reconciliation with WeChat Pay's bills, buyer statements
(PDF and CSV), supplier settlement and payouts, and the finance pages over the ledger.

Other domains use: nothing yet.
"""
from __future__ import annotations

from flask import Flask

__all__ = ["register"]


def register(app: Flask) -> None:
    from app.statements import views

    app.register_blueprint(views.bp)
    _register_settlement(app)


def _register_settlement(app: Flask) -> None:
    """Supplier settlement and payouts: the finance pages and their demo data."""
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.core.cli import add_seeder
    from app.statements import payout_views, settlement_models, settlement_seed, settlement_views  # noqa: F401

    app.register_blueprint(settlement_views.bp)
    navigation.add(app, "settlement.periods", _l("Settlement"), settlement_views.FINANCE, order=86)
    add_seeder(app, "settlement", settlement_seed.seed_demo)
