"""The buyer asks for a refund on the order page: the whole order, chosen lines, or an amount.

The answer replaces the page's refunds region (htmx) or comes back as the order page: the
request listed on success, or the form with what to correct beside its fields.
"""
from __future__ import annotations

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core.auth import current_company_id, role_required
from app.core.forms import attempt
from app.core.htmx import is_htmx, render
from app.orders import aftersale, aftersale_queries, services
from app.orders.aftersale_forms import RefundForm
from app.orders.order_views import _locale, _order_page
from app.orders.views import BUYERS, bp


@bp.post("/orders/<int:order_id>/refunds")
@role_required(*BUYERS)
def refund_request(order_id: int):
    order = services.get(order_id, current_company_id(), lock=True)  # another company's: 404
    form = RefundForm(order.lines, _locale())
    done = None
    if form.validate_on_submit():
        with attempt(form) as done:
            aftersale.request_refund(order, reason=form.reason.data, requested_by_id=current_user.id, **form.asked())
    message, status = None, 422 if done is None else done.status
    if done:
        message = _("Your refund request is sent. You will get an SMS when it is decided.")
        if not is_htmx():
            flash(message, "success")
            return redirect(url_for("orders.order", order_id=order_id), 303)
        form = RefundForm(order.lines, _locale(), formdata=None)
    if is_htmx():
        return render("orders/_refunds.html", status=status, order=order, refund_form=form, message=message,
                      can_buy=True, **aftersale_queries.for_order(order))
    return _order_page(order, status, refund_form=form)
