"""Forms for code login, phone verification and SMS preferences. Validation only."""
from __future__ import annotations

import re
import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectMultipleField, StringField
from wtforms.validators import ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import phone_number
from app.notifications.events import OPTIONAL_CATEGORIES


def _code(form: FlaskForm, field: StringField) -> None:
    # NFKC turns full-width digits (１２３) into ASCII; other scripts' digits (١٢٣), which
    # `\d` would accept, are refused here instead of costing one of the code's tries.
    value = re.sub(r"\s", "", unicodedata.normalize("NFKC", field.data or ""))
    if not re.fullmatch(r"[0-9]{6}", value):
        raise ValidationError(_l("Enter the 6-digit code from the SMS."))
    field.data = value


class PhoneForm(FlaskForm):
    """Step one: where to send the code."""

    phone = StringField(_l("Mobile number"), validators=[phone_number])
    next = HiddenField()


class CodeForm(FlaskForm):
    """Step two: the code that arrived (the phone travels along, already normalised)."""

    phone = HiddenField(validators=[phone_number])
    code = StringField(_l("Code from the SMS"), validators=[_code])
    next = HiddenField()


class PreferencesForm(FlaskForm):
    receive = SelectMultipleField(
        _l("Send me SMS about"), choices=list(OPTIONAL_CATEGORIES.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(), validate_choice=True)
