"""The SMS preferences form. Validation only."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import SelectMultipleField
from wtforms.widgets import CheckboxInput, ListWidget

from app.core.forms import Form
from app.notifications.events import OPTIONAL_CATEGORIES


class PreferencesForm(Form):
    receive = SelectMultipleField(
        _l("Send me SMS about"), choices=list(OPTIONAL_CATEGORIES.items()),
        widget=ListWidget(prefix_label=False), option_widget=CheckboxInput(), validate_choice=True)
