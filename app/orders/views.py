"""The buyer's side of buying: Buy now, the consignee asked for once, and the cart.

Orders, their payment page and the lists are in order_views.py and pay_views.py, on
the same blueprint. A purchase form refused by the rules shows the reason beside the
button that sent it (htmx) or at the top of the page it came from.
"""
from __future__ import annotations

import re
import secrets
from collections.abc import Callable

from flask import Blueprint, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from app import catalog
from app.core import numbers
from app.core.auth import current_company_id, has_role, role_required
from app.core.errors import DomainError
from app.core.forms import attempt
from app.core.htmx import is_htmx, redirect_htmx, render
from app.core.security import safe_next
from app.orders import cart, checkout, consignees, services
from app.orders.forms import MAX_QUANTITY, THEN, BuyForm, CheckoutForm, ConsigneeForm, QuantityForm
from app.orders.models import Order
from app.orders.texts import REGIME_LABELS

bp = Blueprint("orders", __name__)

BUYERS = ("owner", "buyer")
READERS = ("owner", "buyer", "finance")


def new_token() -> str:
    """A purchase form's one-time token: sent twice, it makes one order."""
    return secrets.token_hex(16)


def can_buy() -> bool:
    return has_role(current_user, *BUYERS) and getattr(current_user, "company_id", None) is not None


def _user():
    return current_user._get_current_object()


def _first_error(form) -> str:
    for errors in form.errors.values():
        if errors:
            return str(errors[0])
    return _("This cannot be done.")


def _result(message: str, back: str, *, ok: bool = False, status: int = 422):
    """A purchase form's answer: beside its button for htmx, flashed on the page it came from otherwise."""
    if is_htmx():
        return render("orders/_result.html", message=message, ok=ok, status=status)
    flash(message, "success" if ok else "error")
    return redirect(back, 303)


def place(make: Callable[[], Order], then: str, back: str, form):
    """Create an order with `make` and go to its payment page; without a default consignee,
    ask for one first and carry on with `then`."""
    with attempt(form, "offer_id") as done:
        order = make()
    if done:
        return redirect_htmx(url_for("orders.pay", order_id=order.id))
    if done.error.code == "consignee_required":
        return redirect_htmx(url_for("orders.consignee_new", then=then))
    return _result(str(done.error.message), back, status=done.error.status)


@bp.post("/orders/buy")
@role_required(*BUYERS)
def buy():
    """Buy now: one offer at the page's quantity, with the default consignee, straight to paying."""
    form = BuyForm()
    back = safe_next(form.next.data)
    if not form.validate_on_submit():
        return _result(_first_error(form), back)
    offer_id, quantity = form.offer_id.data, form.quantity.data
    return place(lambda: checkout.buy_now(_user(), current_company_id(), offer_id, quantity,
                                          token=form.token.data or None),
                 f"buy:{offer_id}:{quantity}", back, form)


# --- the consignee, asked for once ------------------------------------------------------------

def _carry_on(then: str | None, token: str | None) -> Order | None:
    """The purchase the buyer was making when asked for a consignee, if any."""
    if not then or not re.fullmatch(THEN, then):
        return None
    kind, *args = then.split(":")
    user, company_id = _user(), current_company_id()
    if kind == "cart":
        return checkout.checkout_cart(user, company_id, token=token)
    if kind == "again":
        return checkout.buy_again(user, company_id, int(args[0]), token=token)
    try:
        quantity = numbers.parse_int(args[1], 1, MAX_QUANTITY)
    except numbers.NumberError:
        return None
    return checkout.buy_now(user, company_id, int(args[0]), quantity, token=token)


def _consignee_page(form: ConsigneeForm, consignee=None):
    if form.validate_on_submit():
        order = None
        with attempt(form, "name") as done:
            saved = consignees.save(_user(), current_company_id(), name=form.name.data, phone=form.phone.data,
                                    address=form.address.data, id_number=form.id_number.data or None,
                                    consignee=consignee)
            try:
                order = _carry_on(form.then.data, form.token.data or None)
            except DomainError as e:
                if e.code == "consignee_id_required":  # the buyer can fix it right here
                    e.field = "id_number"
                raise
        if done:
            if order is not None:
                return redirect(url_for("orders.pay", order_id=order.id), 303)
            flash(_("Saved. Orders now go to %(name)s.", name=saved.name), "success")
            return redirect(url_for("orders.cart_page"), 303)
    return render("orders/consignee.html", status=422 if form.errors else 200, form=form, consignee=consignee)


@bp.route("/consignees/new", methods=["GET", "POST"])
@role_required(*BUYERS)
def consignee_new():
    then = request.args.get("then", "")
    form = ConsigneeForm(then=then if re.fullmatch(THEN, then) else "", token=new_token())
    return _consignee_page(form)


@bp.route("/consignees/<int:consignee_id>/edit", methods=["GET", "POST"])
@role_required(*BUYERS)
def consignee_edit(consignee_id: int):
    consignee = consignees.get(consignee_id, current_user.id)
    form = ConsigneeForm(obj=consignee, formdata=None if request.method == "GET" else request.form)
    form.id_number.data = form.id_number.data if request.method == "POST" else ""
    return _consignee_page(form, consignee)


# --- the cart -------------------------------------------------------------------------------

def _cart_context(errors: dict[int, str] | None = None) -> dict:
    user = _user()
    items = cart.items(user.id)
    lines = [(i.offer_id, i.quantity) for i in items]
    quotes = catalog.quote(lines, catalog.today()) if lines else {}
    consignee = consignees.default_consignee(user.id)
    priced = problem = None
    if lines:
        try:
            priced = services.price(lines, consignee)
        except DomainError as e:  # said on the page; nothing is changed by looking
            problem = str(e.message)
    costs = {q.facts.offer_id: c for q, c in priced.lines} if priced else {}
    return {"items": items, "quotes": quotes, "costs": costs, "priced": priced, "problem": problem,
            "consignee": consignee, "errors": errors or {}, "token": new_token(),
            "reason_text": catalog.texts.reason_text, "zh": str(get_locale() or "zh").startswith("zh"),
            "order_limit_fen": catalog.RETAIL_TRANSACTION_LIMIT_FEN, "regimes": REGIME_LABELS}


def _cart(status: int = 200, errors: dict[int, str] | None = None):
    if is_htmx():
        return render("orders/_cart.html", status=status, **_cart_context(errors))
    if status >= 400:
        return render("orders/cart.html", status=status, **_cart_context(errors))
    return redirect(url_for("orders.cart_page"), 303)


@bp.get("/cart")
@role_required(*BUYERS)
def cart_page():
    return render("orders/cart.html", "orders/_cart.html", **_cart_context())


@bp.post("/cart/add")
@role_required(*BUYERS)
def cart_add():
    form = BuyForm()
    back = safe_next(form.next.data)
    if not form.validate_on_submit():
        return _result(_first_error(form), back)
    with attempt(form, "offer_id") as done:
        cart.add(current_user.id, form.offer_id.data, form.quantity.data)
    if not done:
        return _result(_first_error(form), back, status=done.status)
    count = len(cart.items(current_user.id))
    if is_htmx():
        return render("orders/_result.html", ok=True, cart_count=count,
                      message=_("Added to your cart."))
    flash(_("Added to your cart."), "success")
    return redirect(url_for("orders.cart_page"), 303)


@bp.post("/cart/<int:item_id>/quantity")
@role_required(*BUYERS)
def cart_quantity(item_id: int):
    form = QuantityForm()
    if not form.validate_on_submit():
        return _cart(422, {item_id: _first_error(form)})
    with attempt(form, "quantity") as done:
        cart.set_quantity(current_user.id, item_id, form.quantity.data)
    if not done:
        return _cart(done.status, {item_id: _first_error(form)})
    return _cart()


@bp.post("/cart/<int:item_id>/remove")
@role_required(*BUYERS)
def cart_remove(item_id: int):
    cart.remove(current_user.id, item_id)
    return _cart()


@bp.post("/cart/checkout")
@role_required(*BUYERS)
def cart_checkout():
    form = CheckoutForm()
    if not form.validate_on_submit():
        return _result(_first_error(form), url_for("orders.cart_page"))
    return place(lambda: checkout.checkout_cart(_user(), current_company_id(), token=form.token.data or None),
                 "cart", url_for("orders.cart_page"), form)
