"""The form that asks for a statement of any range of days; what a range may be is the
service's decision (statement_service.check_period)."""
from __future__ import annotations

import re
from datetime import date

from flask_babel import lazy_gettext as _l
from wtforms import DateField

from app.core.forms import Form, required

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class DayField(DateField):
    """A day as a date input sends it (2026-01-31); anything else is refused with an example."""

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = (valuelist[0] if valuelist else "").strip()
        if not raw:
            self.data = None
            return
        try:
            if not _DAY.fullmatch(raw):
                raise ValueError
            self.data = date.fromisoformat(raw)
        except ValueError:
            self.data = None
            raise ValueError(_l("Enter a date such as 2026-01-31.")) from None


class StatementForm(Form):
    start = DayField(_l("From"), validators=[required(_l("Choose the first day."))])
    end = DayField(_l("To (included)"), validators=[required(_l("Choose the last day."))])
