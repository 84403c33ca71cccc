"""Forms of the buyer's pages: who receives the goods, what to buy and how many.

Validation and conversion only; what may be bought is the services' decision.
"""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField
from wtforms.validators import Length, Optional, Regexp

from app.core.forms import Form, WholeField, phone_number, required

MAX_QUANTITY = 1_000_000
# What the buyer was doing when the portal asked for a consignee, to carry on with it
# afterwards: buying one offer, checking out the cart, or buying an order again.
THEN = r"^(buy:[0-9]{1,10}:[0-9]{1,7}|cart|again:[0-9]{1,10})$"
TOKEN = r"^[0-9a-f]{32}$"


def _at_most(n: int) -> Length:
    return Length(max=n, message=_l("Use at most %(max)d characters.", max=n))


def _token() -> HiddenField:
    return HiddenField(validators=[Optional(), Regexp(TOKEN)])


class ConsigneeForm(Form):
    name = StringField(_l("Consignee's name"), validators=[required(), _at_most(40)])
    phone = StringField(_l("Mobile number"), validators=[required(), _at_most(30), phone_number])
    address = StringField(_l("Delivery address"), validators=[required(), _at_most(200)])
    id_number = StringField(_l("Identity card number"), validators=[Optional(), _at_most(30)])
    then = HiddenField(validators=[Optional(), Regexp(THEN)])
    token = _token()


class BuyForm(Form):
    offer_id = WholeField(_l("Offer"), validators=[required(_l("Choose an offer to buy."))], lo=1)
    quantity = WholeField(_l("Quantity"), validators=[required()], lo=1, hi=MAX_QUANTITY)
    token = _token()
    next = HiddenField()


class QuantityForm(Form):
    quantity = WholeField(_l("Quantity"), validators=[required()], lo=1, hi=MAX_QUANTITY)


class CheckoutForm(Form):
    token = _token()
