"""The navigation each role sees. Domains add their entries here."""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l


@dataclass(frozen=True)
class NavItem:
    endpoint: str
    label: object
    roles: frozenset[str]  # empty: every signed-in user
    setting: str | None = None  # shown only while this config flag is on


ITEMS: list[NavItem] = [
    NavItem("core.home", _l("Home"), frozenset()),
    NavItem("accounts.members", _l("Members"), frozenset({"owner"})),
    NavItem("accounts.profile", _l("My account"), frozenset()),
    NavItem("catalog.search", _l("Catalog"), frozenset()),
    NavItem("catalog.calculator_page", _l("Landed cost"), frozenset()),
    NavItem("catalog_ops.index", _l("Catalog admin"), frozenset({"ops", "admin"})),
    NavItem("notifications.outbox", _l("SMS outbox"), frozenset({"agent", "ops", "finance_admin", "admin"}),
            setting="SMS_OUTBOX_PAGE"),
]


def items_for(user) -> list[NavItem]:
    from flask import current_app

    if not getattr(user, "is_authenticated", False):
        return []
    roles = user.roles()
    return [item for item in ITEMS
            if (not item.roles or roles & item.roles)
            and (item.setting is None or current_app.config.get(item.setting))]
