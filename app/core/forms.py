"""What every domain's forms share: the phone validator, text cleaning, and the one way a
view shows a service's refusal beside the field it is about."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from wtforms import Field, IntegerField
from wtforms.validators import ValidationError

from app.core import numbers
from app.core.errors import DomainError
from app.core.validators import normalize_phone


def phone_number(form: object, field: Field) -> None:
    """Accept a mobile number as people type it and store it in E.164."""
    phone = normalize_phone(field.data or "")
    if phone is None:
        raise ValidationError(_l("Enter a mobile number such as 13800138000 or +8613800138000."))
    field.data = phone


class Attempt:
    """The outcome of `attempt()`: true when the service call went through."""

    def __init__(self) -> None:
        self.error: DomainError | None = None

    def __bool__(self) -> bool:
        return self.error is None

    @property
    def status(self) -> int:
        return self.error.status if self.error else 200


@contextmanager
def attempt(form: object | None = None, field: str | None = None) -> Iterator[Attempt]:
    """Run the service calls in the body; a `DomainError` ends the unit of work as it asks
    (roll back, or keep a recorded refusal) and is shown to the user: beside its field of
    `form` (or `field` when it names none), among the form's own errors, or flashed when
    there is no form. The view then renders its page again with `status`."""
    from app.core import db as uow

    outcome = Attempt()
    try:
        yield outcome
    except DomainError as e:
        uow.refused(e)
        outcome.error = e
        name = e.field or field
        target = getattr(form, name, None) if form is not None and name else None
        if target is not None and hasattr(target, "errors"):
            target.errors = [*target.errors, str(e.message)]
        elif form is not None:
            form.form_errors.append(str(e.message))  # type: ignore[attr-defined]
        else:
            flash(str(e.message), "error")
        if form is not None:
            form._errors = None  # type: ignore[attr-defined]  # WTForms caches form.errors


def stripped(value: object) -> object:
    """A WTForms filter: text without the spaces around it (U+3000, the ideographic space
    Chinese input methods type, too: str.strip() knows it)."""
    return value.strip() if isinstance(value, str) else value


class WholeField(IntegerField):
    """A whole number from `lo` to `hi` in ASCII digits (numbers.parse_int): never a 500 downstream."""

    def __init__(self, label: object = None, validators: list | None = None, lo: int = 0,
                 hi: int = numbers.MAX_INT, **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        self.lo, self.hi = lo, hi

    def process_formdata(self, valuelist: list[str]) -> None:
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = numbers.parse_int(valuelist[0], self.lo, self.hi)
        except numbers.NumberError as e:
            self.data = None
            raise ValueError(e.message()) from None
