"""SMS notifications: providers behind one protocol, the message outbox, delivery jobs
with retries, and each user's preferences. It imports no other domain.

Other domains use:
    notify(event, recipient, **params)   queue an SMS (sent after the commit)
    Recipient(phone, language, user_id, verified)
    withdraw(message_id, code)           stop a message that has not gone out yet
    receives(user_id)                    the optional categories a user gets
    OPTIONAL_CATEGORIES                  category -> label, for preference forms
"""
from __future__ import annotations

from flask import Flask

from app.notifications.events import OPTIONAL_CATEGORIES
from app.notifications.services import Recipient, notify, receives, withdraw

__all__ = ["OPTIONAL_CATEGORIES", "Recipient", "notify", "receives", "register", "withdraw"]


def register(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l

    from app.core import navigation
    from app.notifications import views

    app.register_blueprint(views.bp)
    navigation.add(app, "notifications.outbox", _l("SMS outbox"), ("agent", "ops", "finance_admin", "admin"),
                   setting="SMS_OUTBOX_PAGE", order=90)
