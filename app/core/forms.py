"""WTForms validators shared by every domain's forms."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import Field
from wtforms.validators import ValidationError

from app.core.validators import normalize_phone


def phone_number(form: object, field: Field) -> None:
    """Accept a mobile number as people type it and store it in E.164."""
    phone = normalize_phone(field.data or "")
    if phone is None:
        raise ValidationError(_l("Enter a mobile number such as 13800138000 or +8613800138000."))
    field.data = phone
