"""What every domain's forms share: the base form (text cleaned, required means not blank),
length limits taken from the model, the phone validator, uploaded file names, and the one
way a view shows a service's refusal beside the field it is about."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Field, IntegerField, PasswordField, StringField
from wtforms.validators import Length, StopValidation, ValidationError
from wtforms.widgets import HiddenInput

from app.core import numbers
from app.core.bounds import clean, clip_name, length_of
from app.core.errors import DomainError
from app.core.validators import normalize_phone


class Form(FlaskForm):
    """The base of every form in the portal.

    Each text field arrives without surrounding whitespace (U+3000 and zero-width
    characters too), so what is saved, compared and shown is what the person meant;
    passwords are left exactly as typed. Hidden fields render without an id: nothing
    labels or targets them, and a page often holds two forms (password and SMS code
    sign-in) whose `csrf_token` and `next` would otherwise share one id. An id given
    when rendering still wins.
    """

    class Meta:
        def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
            kind = unbound_field.field_class
            if issubclass(kind, StringField) and not issubclass(kind, PasswordField):
                options = {**options, "filters": (clean, *unbound_field.kwargs.get("filters", ()))}
            return super().bind_field(form, unbound_field, options)  # type: ignore[misc]

        def render_field(self, field: Field, render_kw: dict[str, Any]) -> Markup:
            if isinstance(field.widget, HiddenInput):
                render_kw = {"id": False, **render_kw}
            return super().render_field(field, render_kw)  # type: ignore[misc]


class Required:
    """A field that must be filled in: blank, or only whitespace, is refused with `message`.

    (WTForms' InputRequired looks at the raw input, where "\u3000" still counts as text.)
    """

    field_flags = {"required": True}

    def __init__(self, message: Any = None) -> None:
        self.message = message

    def __call__(self, form: Any, field: Field) -> None:
        raw = field.raw_data or []
        if any(not isinstance(v, str) or clean(v) for v in raw):
            return
        field.errors[:] = []
        raise StopValidation(self.message or _l("This field is required."))


def required(message: Any = None) -> Required:
    return Required(message)


def fits(attribute: Any) -> Length:
    """A Length check as long as the model column the field is saved to (e.g. fits(User.name))."""
    return Length(max=length_of(attribute), message=_l("Use at most %(max)d characters."))


def upload_name(storage: Any, attribute: Any, default: str = "upload") -> str:
    """The name of an uploaded file as we keep it: no folders or control characters, never
    empty, clipped (keeping the extension) to the column `attribute` it is saved in."""
    raw = re.split(r"[\\/]", getattr(storage, "filename", None) or "")[-1]
    name = clean("".join(ch for ch in raw if ch.isprintable())) or default
    return clip_name(name, length_of(attribute))


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
