"""Forms of the reconciliation pages: the day to reconcile, and a note that settles an exception."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import ValidationError

from app.core.forms import Form, required
from app.statements.reconciliation_actions import NOTE_MAX
from app.statements.reconciliation_queries import parse_day


def _a_day(form: Form, field: StringField) -> None:
    day = parse_day(field.data)
    if day is None:
        raise ValidationError(_l("Enter a day such as 2026-01-31."))
    field.data = day


class RunForm(Form):
    day = StringField(_l("Bill day"), validators=[required(), _a_day], render_kw={"type": "date"})


class ResolveForm(Form):
    """The note is checked by the service (reconciliation_actions.resolve), which names the field."""

    note = TextAreaField(_l("How it was settled"), render_kw={"maxlength": NOTE_MAX, "required": True, "rows": 2})
