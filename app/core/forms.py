"""What every domain's forms share: the base form, the phone validator, text cleaning, and
the one way a view shows a service's refusal beside the field it is about."""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field
from wtforms.validators import ValidationError
from wtforms.widgets import HiddenInput

from app.core.errors import DomainError
from app.core.validators import normalize_phone


class Form(FlaskForm):
    """The base of every form in the portal.

    Hidden fields render without an id: nothing labels or targets them, and a page often
    holds two forms (password and SMS code sign-in) whose `csrf_token` and `next` would
    otherwise share one id. An id given when rendering still wins.
    """

    class Meta:
        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Markup:
            if isinstance(field.widget, HiddenInput):
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)  # type: ignore[misc]


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
