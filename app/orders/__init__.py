"""Orders: one click from an offer (or a cart) to an order priced and frozen at creation,
the consignee and the cross-border retail limits, and the order's state machine.

Other domains use:
    models: Order, OrderLine, OrderState, Consignee
    services.create / place / get / cancel, consignees.retail_used_fen
    queries.page(company_id, state=, after=) / queries.charges(orders)   lists in a fixed number of queries
"""
from __future__ import annotations

from flask import Flask

from app.orders.models import Consignee, Order, OrderLine, OrderState

__all__ = ["Consignee", "Order", "OrderLine", "OrderState", "register"]


def register(app: Flask) -> None:
    from app.orders import services

    services.register_payments(app)
