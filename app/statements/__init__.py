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
