"""Template globals and filters shared by every page."""
from __future__ import annotations

from flask import Flask, current_app, request
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.money import format_money


def nav_items() -> list[tuple[str, str, str]]:
    """(endpoint, label, id) for the signed-in user's roles; imported lazily per request."""
    from app.core.navigation import items_for

    return items_for(current_user)


ROLE_LABELS = {
    "owner": _l("Owner"), "buyer": _l("Buyer"), "finance": _l("Finance"),
    "agent": _l("Support agent"), "ops": _l("Operations"),
    "finance_admin": _l("Platform finance"), "admin": _l("Administrator"),
}


def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = lambda minor, currency="CNY": format_money(int(minor), currency)

    @app.context_processor
    def _globals() -> dict[str, object]:
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else "en",
            "languages": current_app.config["LANGUAGES"],
            "nav_items": nav_items,
            "role_label": role_label,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
