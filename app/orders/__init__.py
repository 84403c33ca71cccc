"""Orders: one click from an offer (or a cart) to an order priced and frozen at creation,
the consignee and the cross-border retail limits, the order's state machine, and the
buyer's pages (Buy now, cart, orders, payment page, the home page's panel).

Other domains use:
    models: Order, OrderLine, OrderState, Consignee
    services.create / place / get / cancel, consignees.retail_used_fen
    queries.page(company_id, state=, after=) / queries.charges(orders)   lists in a fixed number of queries
Templates of other domains use the macro `buy_now(offer_id, quantity)` from
templates/orders/_macros.html (a Buy now and an Add to cart form).
"""
from __future__ import annotations

from flask import Flask

from app.orders.models import Consignee, Order, OrderLine, OrderState

__all__ = ["Consignee", "Order", "OrderLine", "OrderState", "register"]


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.core import home, navigation
    from app.core.cli import add_seeder
    from app.core.jobs import schedule
    from app.orders import jobs, order_views, pay_views, queries, seed, services, views  # noqa: F401  (routes on views.bp)
    from app.orders import aftersale_texts, ops_views, refund_views  # noqa: F401  (refund_views: routes on views.bp)

    services.register_payments(app)
    add_seeder(app, "orders", seed.seed_demo)
    # Orders shipped long enough ago complete, once a day just after 1 a.m.
    schedule(app, jobs.complete_overdue, cron="10 1 * * *", timeout=600)
    app.register_blueprint(views.bp)
    navigation.add(app, "orders.orders", _l("Orders"), views.READERS, order=32)
    navigation.add(app, "orders.cart_page", _l("Cart"), views.BUYERS, order=34)
    home.add_panel(app, "orders/_home_panel.html", queries.home_panel, views.READERS, order=10)
    # The Buy now macro, rendered inside other domains' pages, asks these itself.
    app.add_template_global(views.can_buy, "orders_can_buy")
    app.add_template_global(views.new_token, "orders_form_token")
    app.add_template_global(aftersale_texts, "aftersale_texts")
    ops_views.register(app)
