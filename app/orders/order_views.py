"""The buyer's orders: the list (filters, paging, CSV), one order with its timeline and
payments, cancel while unpaid, buy again."""
from __future__ import annotations

from flask import flash, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.core import csvio
from app.core.auth import current_company_id, role_required
from app.core.forms import attempt
from app.core.htmx import redirect_htmx, render
from app.core.models import utcnow
from app.core.money import to_major
from app.orders import aftersale_queries, checkout, notice, queries, services
from app.orders.aftersale_forms import RefundForm
from app.orders.consignees import default_consignee, masked_phone
from app.orders.forms import CheckoutForm
from app.orders.models import OrderState
from app.orders.texts import REGIME_LABELS, STATE_LABELS
from app.orders.views import BUYERS, READERS, bp, can_buy, new_token, place

STATES = tuple(OrderState)


def _locale() -> str:
    return str(get_locale() or "zh_CN")


@bp.get("/orders")
@role_required(*READERS)
def orders():
    filters, errors = queries.parse_filters(request.args)
    found, next_before = queries.orders_page(current_company_id(), filters)
    return render("orders/list.html", "orders/_list.html", orders=found, filters=filters, errors=errors,
                  next_before=next_before, states=STATES, locale=_locale(), labels=STATE_LABELS, now=utcnow(),
                  consignee=default_consignee(current_user.id), can_buy=can_buy())


@bp.get("/orders.csv")
@role_required(*READERS)
def orders_csv():
    filters, _errors = queries.parse_filters(request.args)
    locale = _locale()
    header = [_("Order number"), _("Placed (Beijing time)"), _("State"), _("Regime"), _("Lines"),
              _("Goods (CNY)"), _("Shipping (CNY)"), _("Tax (CNY)"), _("Total (CNY)"), _("Consignee"), _("Paid at")]
    
    def when(at) -> str:
        return at.astimezone(queries.CHINA).strftime("%Y-%m-%d %H:%M") if at else ""

    rows = ([o.number, when(o.created_at), str(STATE_LABELS[o.state.value]), str(REGIME_LABELS[o.regime]),
             "; ".join(f"{line.name(locale)} × {line.quantity}" for line in o.lines),
             to_major(o.goods_fen, "CNY"), to_major(o.shipping_fen, "CNY"), to_major(o.tax_fen, "CNY"),
             to_major(o.total_fen, "CNY"), o.consignee_name, when(o.paid_at)]
            for o in queries.orders_for_export(current_company_id(), filters))
    return csvio.response("orders.csv", header, rows)


def _order_page(order, status: int = 200, refund_form: RefundForm | None = None):
    charge = services.charge_of(order)
    return render("orders/detail.html", status=status, order=order, charge=charge, locale=_locale(),
                  notice=notice.notice_for(order), timeline=aftersale_queries.timeline(order),
                  payments=queries.payments_of(order), phone=masked_phone(order.consignee_phone),
                  can_buy=can_buy(), token=new_token(), labels=STATE_LABELS,
                  refund_form=refund_form or RefundForm(order.lines, _locale(), formdata=None),
                  **aftersale_queries.for_order(order))


@bp.get("/orders/<int:order_id>")
@role_required(*READERS)
def order(order_id: int):
    return _order_page(services.get(order_id, current_company_id()))


@bp.post("/orders/<int:order_id>/cancel")
@role_required(*BUYERS)
def cancel(order_id: int):
    found = services.get(order_id, current_company_id(), lock=True)
    with attempt() as done:
        outcome = services.cancel(found, current_user.id)
    if done:
        flash({"closed": _("The order is cancelled."),
               "paid": _("WeChat Pay reports this order as paid, so it was not cancelled."),
               "closing": _("WeChat Pay lets an order be closed only five minutes after its payment code was "
                            "made. It can no longer be paid, and it will be closed in a few minutes.")}[outcome],
              "error" if outcome == "paid" else "success")
    return redirect_htmx(url_for("orders.order", order_id=order_id))


@bp.post("/orders/<int:order_id>/again")
@role_required(*BUYERS)
def again(order_id: int):
    form = CheckoutForm()
    back = url_for("orders.order", order_id=order_id)
    services.get(order_id, current_company_id())  # another company's order: 404, not a refusal
    token = form.token.data or None if form.validate_on_submit() else None
    return place(lambda: checkout.buy_again(current_user._get_current_object(), current_company_id(), order_id,
                                            token=token),
                 f"again:{order_id}", back, form)
