"""Orders: one click from an offer (or a cart) to an order priced and frozen at creation,
the consignee and the cross-border retail limits, and the order's state machine.

Other domains use:
    models: Order, OrderLine, OrderState, Consignee
    services.create / get / cancel, consignees.retail_used_fen
"""
from __future__ import annotations

from flask import Flask

from app.orders.models import Consignee, Order, OrderLine, OrderState

__all__ = ["Consignee", "Order", "OrderLine", "OrderState", "register"]


def register(app: Flask) -> None:
    from app.core.jobs import schedule
    from app.orders import jobs, services

    services.register_payments(app)
    # Orders shipped long enough ago complete, once a day just after 1 a.m.
    schedule(app, jobs.complete_overdue, cron="10 1 * * *", timeout=600)
