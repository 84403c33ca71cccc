"""Forms after payment: the buyer's refund request, and the order desk's actions (decide a
refund, declare again, mark lines shipped or delivered).

Validation and conversion only; whether the order's state allows it is the services' call.
"""
from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from app.core import money, numbers
from app.core.forms import Form, fits, required
from app.orders.models import OrderLine
from app.payments.models import Declaration, Refund

NOTE_MAX = 500


class YuanField(StringField):
    """An amount in yuan as people type it ("12.50"); `fen` holds it in fen (None when blank)."""

    fen: int | None = None

    def process_formdata(self, valuelist: list[str]) -> None:
        super().process_formdata(valuelist)
        self.fen = None
        if self.data and self.data.strip():
            try:
                self.fen = money.parse(self.data.strip(), "CNY")
            except numbers.NumberError as e:
                raise ValueError(e.message()) from None


class LinesField(SelectMultipleField):
    """Lines of one order, chosen with checkboxes; the choices are the order's lines."""

    def __init__(self, label: Any = None, **kwargs: Any) -> None:
        super().__init__(label, coerce=int, **kwargs)

    def pre_validate(self, form: Any) -> None:
        known = {value for value, _label in self.choices or ()}
        if any(value not in known for value in self.data or ()):
            raise ValidationError(_l("Choose lines of this order."))


def _line_choices(lines: list[OrderLine], locale: str) -> list[tuple[int, str]]:
    return [(line.id, f"{line.name(locale)} × {line.quantity}") for line in lines]


class RefundForm(Form):
    """What the buyer asks back: the whole order, some lines, or an amount; and why."""

    how = RadioField(_l("Refund"), choices=[("whole", _l("The whole order (what is left of it)")),
                                           ("lines", _l("Some lines")), ("amount", _l("An amount"))],
                     default="whole")
    lines = LinesField(_l("Lines"))
    amount = YuanField(_l("Amount (CNY)"))
    reason = TextAreaField(_l("Why"), validators=[required(_l("Say why you ask for a refund.")), fits(Refund.reason)])

    def __init__(self, lines: list[OrderLine], locale: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines.choices = _line_choices(lines, locale)

    def validate_lines(self, field: LinesField) -> None:
        if self.how.data == "lines" and not field.data:
            raise ValidationError(_l("Choose the lines to refund."))

    def validate_amount(self, field: YuanField) -> None:
        if self.how.data == "amount" and not field.fen:
            raise ValidationError(_l("Enter an amount to refund."))

    def asked(self) -> dict[str, Any]:
        """The keyword arguments of aftersale.request_refund for what was chosen."""
        if self.how.data == "lines":
            return {"line_ids": list(self.lines.data)}
        if self.how.data == "amount":
            return {"amount_fen": self.amount.fen}
        return {}


class NoteForm(Form):
    """Approve or reject a refund; a rejection says why (the buyer reads it)."""

    note = TextAreaField(_l("Note"), validators=[Optional(), Length(max=NOTE_MAX, message=_l(
        "Use at most %(max)d characters."))])


class ShipForm(Form):
    lines = LinesField(_l("Lines"), validators=[required(_l("Choose the lines to mark."))])
    carrier = StringField(_l("Carrier"), validators=[required(), fits(OrderLine.carrier)])
    tracking_no = StringField(_l("Tracking number"), validators=[
        required(), fits(OrderLine.tracking_no),
        Regexp(r"^[A-Za-z0-9-]+$", message=_l("Use letters, digits and hyphens, as the carrier prints it."))])

    def __init__(self, lines: list[OrderLine], locale: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines.choices = _line_choices(lines, locale)


class DeliverForm(Form):
    lines = LinesField(_l("Lines"), validators=[required(_l("Choose the lines to mark."))])

    def __init__(self, lines: list[OrderLine], locale: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lines.choices = _line_choices(lines, locale)


class RedeclareForm(Form):
    """A declaration customs refused, sent again: only the customs number, duty and fees change."""

    mch_customs_no = StringField(_l("Merchant's customs number"), validators=[
        Optional(), fits(Declaration.mch_customs_no),
        Regexp(r"^[A-Za-z0-9]+$", message=_l("Use letters and digits only."))])
    duty = YuanField(_l("Duty (CNY)"), validators=[Optional()])
    transport_fee = YuanField(_l("Transport fee (CNY)"), validators=[Optional()])
