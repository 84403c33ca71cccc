"""Forms of the buyer's pages: who receives the goods, what to buy and how many.

Validation and conversion only; what may be bought is the services' decision.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional, Regexp, StopValidation

from app.core.forms import WholeField, phone_number, stripped

MAX_QUANTITY = 1_000_000
# What the buyer was doing when the portal asked for a consignee, to carry on with it
# afterwards: buying one offer, checking out the cart, or buying an order again.
THEN = r"^(buy:[0-9]{1,10}:[0-9]{1,7}|cart|again:[0-9]{1,10})$"
TOKEN = r"^[0-9a-f]{32}$"


class Filled:
    """Required, judged on the value after stripping and parsing (spaces alone are empty);
    a value that could not be parsed already says why, so nothing more is added."""

    field_flags = {"required": True}

    def __init__(self, message: object = None) -> None:
        self.message = message or _l("This field is required.")

    def __call__(self, form: FlaskForm, field) -> None:
        if field.process_errors:
            raise StopValidation()
        if field.data is None or field.data == "":
            raise StopValidation(str(self.message))


def _required() -> Filled:
    return Filled()


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


def _token() -> HiddenField:
    return HiddenField(validators=[Optional(), Regexp(TOKEN)])


class ConsigneeForm(FlaskForm):
    name = StringField(_l("Consignee's name"), filters=[stripped], validators=[_required(), _at_most(40)])
    phone = StringField(_l("Mobile number"), filters=[stripped], validators=[_required(), _at_most(30), phone_number])
    address = StringField(_l("Delivery address"), filters=[stripped], validators=[_required(), _at_most(200)])
    id_number = StringField(_l("Identity card number"), filters=[stripped], validators=[Optional(), _at_most(30)])
    then = HiddenField(filters=[stripped], validators=[Optional(), Regexp(THEN)])
    token = _token()


class BuyForm(FlaskForm):
    offer_id = WholeField(_l("Offer"), validators=[Filled(_l("Choose an offer to buy."))], lo=1)
    quantity = WholeField(_l("Quantity"), validators=[_required()], lo=1, hi=MAX_QUANTITY)
    token = _token()
    next = HiddenField()


class QuantityForm(FlaskForm):
    quantity = WholeField(_l("Quantity"), validators=[_required()], lo=1, hi=MAX_QUANTITY)


class CheckoutForm(FlaskForm):
    token = _token()
