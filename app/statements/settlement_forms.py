"""What finance types on the settlement and payout pages: a period, chosen suppliers, bank
details and the bank's reference; each refused with a message beside its field."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, StringField, TextAreaField
from wtforms.validators import Length, Optional

from app.core import numbers
from app.core.forms import Form, fits, required
from app.statements.settlement import Period
from app.statements.settlement_models import PayoutBatch, SupplierBankAccount

MONTH = re.compile(r"^(\d{4})-(\d{2})$")
DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
EARLIEST = date(2020, 1, 1)
LONGEST = timedelta(days=366)


@dataclass(frozen=True)
class PeriodChoice:
    """The period a page shows, and what the person asked for (to fill the form again)."""

    period: Period
    month: str
    first: str
    last: str

    def args(self) -> dict[str, str]:
        return period_args(self.period)


def period_args(period: Period) -> dict[str, str]:
    """The query string that names a period: ?month=2026-11, or ?from=…&to=…"""
    if period.is_month:
        return {"month": f"{period.first:%Y-%m}"}
    return {"from": period.first.isoformat(), "to": period.last.isoformat()}


def _day(raw: str) -> date | None:
    if not DAY.match(raw):
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        return None
    return day if day >= EARLIEST else None


def parse_period(args: Mapping[str, str], today: date) -> tuple[PeriodChoice, dict[str, str]]:
    """A month (`month=2026-11`) or any range of days (`from`, `to`), the month before
    `today` by default. A bad value is explained in the errors and the default shown."""
    errors: dict[str, str] = {}
    default = Period.month_before(today)
    raw_month = (args.get("month") or "").strip()[:10]
    raw_first, raw_last = ((args.get(k) or "").strip()[:10] for k in ("from", "to"))
    period = default
    if raw_first or raw_last:
        first, last = _day(raw_first), _day(raw_last)
        if first is None:
            errors["from"] = str(_l("Enter the first day as a date, from 2020-01-01 on."))
        if last is None:
            errors["to"] = str(_l("Enter the last day as a date, from 2020-01-01 on."))
        if first and last:
            if last < first:
                errors["to"] = str(_l("The last day cannot be before the first."))
            elif last - first >= LONGEST:
                errors["to"] = str(_l("A period is at most 366 days."))
            else:
                period = Period(first, last)
    elif raw_month:
        found = MONTH.match(raw_month)
        if found and 1 <= int(found.group(2)) <= 12 and int(found.group(1)) >= EARLIEST.year:
            period = Period.month(int(found.group(1)), int(found.group(2)))
        else:
            errors["month"] = str(_l("Choose a month such as 2026-11."))
    return PeriodChoice(period, raw_month, raw_first, raw_last), errors


def supplier_ids(values: list[str], limit: int = 500) -> list[int]:
    """The chosen suppliers' ids; anything that is not one is left out."""
    out = []
    for raw in values[:limit]:
        try:
            out.append(numbers.parse_int(raw, 1))
        except numbers.NumberError:
            continue
    return out


class PeriodForm(Form):
    """The period a POST acts on, carried in hidden fields from the page it was shown on."""

    first = HiddenField()
    last = HiddenField()

    def period(self) -> Period | None:
        first, last = _day(self.first.data or ""), _day(self.last.data or "")
        if first is None or last is None or last < first or last - first >= LONGEST:
            return None
        return Period(first, last)


class BankAccountForm(Form):
    account_name = StringField(_l("Payee (account holder)"), [required(), fits(SupplierBankAccount.account_name)])
    bank_name = StringField(_l("Bank"), [required(), fits(SupplierBankAccount.bank_name)])
    account_number = StringField(_l("Account number or IBAN"), [Optional(), Length(max=40)])
    swift_bic = StringField(_l("SWIFT/BIC"), [Optional(), Length(max=14)])


class PaidForm(Form):
    bank_reference = StringField(_l("Bank reference"), [required(), fits(PayoutBatch.bank_reference)])


class CancelForm(Form):
    note = TextAreaField(_l("Why (optional)"), [Optional(), Length(max=500)])
