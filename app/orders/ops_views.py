"""The order desk (roles ops and finance_admin; admin passes every staff check): every
company's orders filtered, paged and exported; one order with the notifies WeChat Pay sent,
our polling history, its ledger postings and audit log; the actions on it; and the list of
refunds and declarations a person must resolve.

Every action is a form that works as a plain POST (answered with the order page) and with
htmx (answered with the page's order region). A refusal is shown beside the form that was
sent, in the reader's language, and changes nothing.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, Flask, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import csvio, navigation
from app.core.auth import has_role, role_required
from app.core.forms import Form, attempt
from app.core.htmx import is_htmx, render
from app.core.i18n import translated
from app.core.money import to_major
from app.orders import aftersale, aftersale_queries, desk, ops_queries
from app.orders.aftersale_forms import DeliverForm, NoteForm, RedeclareForm, ShipForm
from app.orders.aftersale_texts import CUSTOMS_LABELS, PAYMENT_LABELS, REFUND_LABELS, refund_key
from app.orders.models import OrderState
from app.orders.queries import CHINA
from app.orders.texts import REGIME_LABELS, STATE_LABELS

bp = Blueprint("orders_ops", __name__, url_prefix="/ops/orders")
DESK = ("ops", "finance_admin")
MONEY = ("ops", "finance_admin")     # payments and refunds
GOODS = ("ops",)                     # customs and shipping


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    navigation.add(app, "orders_ops.orders", _l("Order desk"), DESK, order=60)
    navigation.add(app, "orders_ops.exceptions", _l("Refund exceptions"), DESK, order=62)


def _locale() -> str:
    return str(get_locale() or "zh_CN")


def _choices() -> dict[str, list[tuple[str, Any]]]:
    """The desk's filter choices, each value with its words."""
    states, customs, refunds = translated(STATE_LABELS), translated(CUSTOMS_LABELS), translated(REFUND_LABELS)
    return {"state": [(s.value, states[s.value]) for s in OrderState],
            "payment": list(translated(PAYMENT_LABELS).items()),
            "customs": [("none", _("Not declared"))] + [(k, customs[k]) for k in ops_queries.CUSTOMS_CHOICES[1:]],
            "refund": [(k, refunds[refund_key(k)]) for k in ops_queries.REFUND_CHOICES[:-1]]
            + [("needs_funds", _("Waiting for funds"))]}


def _vocab(**more: Any) -> dict[str, Any]:
    return {"labels": translated(STATE_LABELS), "payment_labels": translated(PAYMENT_LABELS),
            "refund_key": refund_key, "regimes": translated(REGIME_LABELS), "locale": _locale(),
            "can": {"money": has_role(current_user, *MONEY), "goods": has_role(current_user, *GOODS)}, **more}


@bp.get("")
@role_required(*DESK)
def orders():
    filters, errors = ops_queries.parse_filters(request.args)
    rows, next_before = ops_queries.page(filters)
    return render("orders/ops/list.html", "orders/ops/_list.html", rows=rows, filters=filters, errors=errors,
                  next_before=next_before, choices=_choices(), **_vocab())


@bp.get("/export.csv")
@role_required(*DESK)
def export():
    filters, _errors = ops_queries.parse_filters(request.args)
    header = [_("Order number"), _("Placed (Beijing time)"), _("Company"), _("State"), _("Regime"), _("Payment"),
              _("WeChat Pay transaction"), _("Total (CNY)"), _("Refunded (CNY)"), _("Refunds"), _("Customs"),
              _("Identity check"), _("Suppliers"), _("Shipments")]
    return csvio.response("orders.csv", header, (_csv_row(row) for row in ops_queries.for_export(filters)))


def _csv_row(row: ops_queries.DeskRow) -> list[Any]:
    o = row.order
    shipments = aftersale_queries.shipments(o)
    return [o.number, o.created_at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), row.company,
            str(STATE_LABELS[o.state.value]), str(REGIME_LABELS[o.regime]),
            str(PAYMENT_LABELS[row.payment]) if row.payment else "", row.transaction_id or "",
            to_major(o.total_fen, "CNY"), to_major(o.refunded_fen, "CNY"),
            "; ".join(f"{REFUND_LABELS[refund_key(r.state)]} {to_major(r.amount_fen, 'CNY')}" for r in row.refunds),
            str(CUSTOMS_LABELS[row.customs]) if row.customs else "", row.cert or "",
            "; ".join(sorted({line.supplier_name for line in o.lines})),
            "; ".join(f"{s.carrier} {s.tracking_no}" for s in shipments)]


@bp.get("/exceptions")
@role_required(*DESK)
def exceptions():
    return render("orders/ops/exceptions.html", found=ops_queries.exceptions(), **_vocab())


def _detail(order, *, status: int = 200, message: str | None = None, forms: dict[str, Form] | None = None):
    return render("orders/ops/detail.html", "orders/ops/_detail.html", status=status, order=order, message=message,
                  forms=forms or {}, shipments=aftersale_queries.shipments(order),
                  suppliers=aftersale_queries.supplier_names(order), **ops_queries.detail(order), **_vocab())


@bp.get("/<int:order_id>")
@role_required(*DESK)
def order(order_id: int):
    return _detail(desk.order(order_id))


def _act(order_id: int, key: str, make_form: Callable[[Any], Form], run: Callable[[Any, Any], Any],
         said: str | Callable[[Any], str]):
    """Run one desk action: the order locked, the form checked, the service called once."""
    found = desk.order(order_id, lock=True)
    form = make_form(found)
    done = None
    if form.validate_on_submit():
        with attempt(form) as done:
            outcome = run(found, form)
    if not done:
        return _detail(found, status=done.status if done is not None else 422, forms={key: form})
    message = said(outcome) if callable(said) else said
    if is_htmx():
        return _detail(found, message=message)
    flash(message, "success")
    return redirect(url_for("orders_ops.order", order_id=order_id), 303)


@bp.post("/<int:order_id>/requery")
@role_required(*MONEY)
def requery(order_id: int):
    said = {"paid": _("WeChat Pay reports the order paid: the payment is recorded and the order is paid."),
            "not_paid": _("WeChat Pay reports the order not paid. Its answer is in the polling history."),
            "no_answer": _("WeChat Pay gave no answer about this order (see the polling history). Try again in a "
                           "minute.")}
    return _act(order_id, "requery", lambda o: Form(),
                lambda o, f: desk.requery_payment(o, actor_id=current_user.id), said.__getitem__)


@bp.post("/<int:order_id>/refunds/<int:refund_id>/<any(approve, reject):decision>")
@role_required(*MONEY)
def decide(order_id: int, refund_id: int, decision: str):
    approve = decision == "approve"
    return _act(order_id, f"refund-{refund_id}", lambda o: NoteForm(),
                lambda o, f: aftersale.decide(o, refund_id, approve=approve, actor_id=current_user.id,
                                              note=f.note.data or ""),
                _("Approved: the refund goes to WeChat Pay now.") if approve else
                _("Rejected: the buyer is told why, by SMS and on the order page."))


@bp.post("/<int:order_id>/refunds/<int:refund_id>/<any(retry, send):act>")
@role_required(*MONEY)
def refund_action(order_id: int, refund_id: int, act: str):
    """Send again a refund WeChat Pay failed (retry), or one held for funds now (send)."""
    run = desk.retry_refund if act == "retry" else desk.send_refund_now
    return _act(order_id, f"refund-{refund_id}", lambda o: Form(),
                lambda o, f: run(o, refund_id, actor_id=current_user.id),
                _("Sent to WeChat Pay again, under a new refund number.") if act == "retry" else
                _("Sending it to WeChat Pay now."))


@bp.post("/<int:order_id>/declarations/<int:declaration_id>/redeclare")
@role_required(*GOODS)
def redeclare(order_id: int, declaration_id: int):
    return _act(order_id, f"declaration-{declaration_id}", lambda o: RedeclareForm(),
                lambda o, f: desk.redeclare(o, declaration_id, actor_id=current_user.id,
                                            mch_customs_no=f.mch_customs_no.data or None, duty=f.duty.fen,
                                            transport_fee=f.transport_fee.fen),
                _("Declared again: customs usually answers within minutes."))


@bp.post("/<int:order_id>/ship")
@role_required(*GOODS)
def ship(order_id: int):
    return _act(order_id, "ship", lambda o: ShipForm(o.lines, _locale()),
                lambda o, f: aftersale.ship(o, f.lines.data, carrier=f.carrier.data, tracking_no=f.tracking_no.data,
                                            actor_id=current_user.id),
                _("Marked shipped: the buyer gets an SMS with the tracking number."))


@bp.post("/<int:order_id>/deliver")
@role_required(*GOODS)
def deliver(order_id: int):
    return _act(order_id, "deliver", lambda o: DeliverForm(o.lines, _locale()),
                lambda o, f: aftersale.deliver(o, f.lines.data, actor_id=current_user.id),
                _("Marked delivered."))
