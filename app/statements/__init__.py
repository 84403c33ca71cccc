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
    _register_reconciliation(app)


def _register_reconciliation(app: Flask) -> None:
    """Reconciliation with WeChat Pay's bills and the ledger's pages, for platform finance."""
    from app.statements import recon_models  # noqa: F401  (tables known to migrations)
