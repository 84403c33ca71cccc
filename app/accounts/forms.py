"""Forms for sign-up, login and membership. Validation only; no account logic here."""
from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email
from flask_babel import lazy_gettext as _l
from wtforms import EmailField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import EqualTo, Length, ValidationError

from app.accounts.models import ApiToken, Company, User
from app.core.forms import Form, fits, phone_number
from app.core.forms import required as _required
from app.core.validators import is_valid_uscc

MIN_PASSWORD = 10


def _uscc(form: Form, field: StringField) -> None:
    if not is_valid_uscc(field.data or ""):
        raise ValidationError(_l("Enter the 18-character unified social credit code shown on the business licence."))
    field.data = field.data.strip().upper()


def _valid_email(form: Form, field: EmailField) -> None:
    try:
        # test_environment admits reserved domains such as demo.test used by demo data.
        result = validate_email(field.data or "", check_deliverability=False, test_environment=True)
    except EmailNotValidError:
        raise ValidationError(_l("Enter a valid email address.")) from None
    field.data = result.normalized.lower()


def _email() -> list:
    return [_required(), fits(User.email), _valid_email]


def _new_password(label: object) -> PasswordField:
    return PasswordField(label, validators=[
        _required(),
        Length(min=MIN_PASSWORD, max=128, message=_l("Use at least %(n)d characters.", n=MIN_PASSWORD)),
    ])


class LoginForm(Form):
    email = EmailField(_l("Email"), validators=[_required(), fits(User.email)])
    password = PasswordField(_l("Password"), validators=[_required()])
    next = HiddenField()


class SignupForm(Form):
    company_name = StringField(_l("Company name"), validators=[_required(), fits(Company.name)])
    credit_code = StringField(_l("Unified social credit code"), validators=[_required(), _uscc])
    contact_phone = StringField(_l("Mobile number"), validators=[_required(), phone_number])
    name = StringField(_l("Your name"), validators=[_required(), fits(User.name)])
    email = EmailField(_l("Email"), validators=_email())
    password = _new_password(_l("Password"))


class PasswordForm(Form):
    current_password = PasswordField(_l("Current password"), validators=[_required()])
    new_password = _new_password(_l("New password"))
    confirm = PasswordField(_l("Repeat new password"), validators=[
        _required(), EqualTo("new_password", message=_l("The two passwords do not match."))])


ROLE_CHOICES = [("buyer", _l("Buyer")), ("finance", _l("Finance")), ("owner", _l("Owner"))]


class InviteForm(Form):
    email = EmailField(_l("Email"), validators=_email())
    phone = StringField(_l("Mobile number (optional)"))
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[_required()])

    def validate_phone(self, field: StringField) -> None:
        if field.data:
            phone_number(self, field)
        else:
            field.data = None


class RoleForm(Form):
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, validators=[_required()])


class AcceptInvitationForm(Form):
    name = StringField(_l("Your name"), validators=[_required(), fits(User.name)])
    password = _new_password(_l("Password"))


class ApiTokenForm(Form):
    token_name = StringField(_l("What the token is for"), validators=[_required(), fits(ApiToken.name)])


class LanguageForm(Form):
    language = SelectField(choices=[("zh_CN", "中文"), ("en", "English")])
    next = HiddenField()


def _code(form: Form, field: StringField) -> None:
    # NFKC turns full-width digits (１２３) into ASCII; other scripts' digits (١٢٣), which
    # `\d` would accept, are refused here instead of costing one of the code's tries.
    value = re.sub(r"\s", "", unicodedata.normalize("NFKC", field.data or ""))
    if not re.fullmatch(r"[0-9]{6}", value):
        raise ValidationError(_l("Enter the 6-digit code from the SMS."))
    field.data = value


class PhoneForm(Form):
    """Step one of a code sign-in or verification: where to send the code."""

    phone = StringField(_l("Mobile number"), validators=[phone_number])
    next = HiddenField()


class CodeForm(Form):
    """Step two: the code that arrived (the phone travels along, already normalised)."""

    phone = HiddenField(validators=[phone_number])
    code = StringField(_l("Code from the SMS"), validators=[_code])
    next = HiddenField()
