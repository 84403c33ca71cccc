"""Template globals and filters shared by every page."""
from __future__ import annotations

from flask import Flask, current_app, g, request
from flask_babel import get_locale, get_translations
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core.i18n import supported
from app.core.money import format_fx, format_money
from app.core.numbers import format_percent


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


def _translations():
    """The request's translations, looked up once per request and locale.

    Flask-Babel finds them anew for every string a template translates (a locale
    lookup, its identifier, a cache key), which a page with a hundred strings pays a
    hundred times; `force_locale` changes the locale object, so it is part of the key.
    """
    babel_ctx = g.get("_flask_babel")
    locale = getattr(babel_ctx, "babel_locale", None)
    cached = g.get("_kj_translations")
    if cached is not None and locale is not None and cached[0] is locale:
        return cached[1]
    translations = get_translations()
    g._kj_translations = (getattr(g.get("_flask_babel"), "babel_locale", None), translations)
    return translations


def init_app(app: Flask) -> None:
    app.jinja_env.filters["money"] = lambda minor, currency="CNY": format_money(int(minor), currency)
    app.jinja_env.filters["fx"] = format_fx
    app.jinja_env.filters["percent"] = lambda rate: format_percent(rate) + "%"
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
        newstyle=True,
    )

    @app.context_processor
    def _globals() -> dict[str, object]:
        locale = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
        return {
            # The configured code ("zh_CN"), as the language switch names it; Babel's own
            # name for the locale is "zh_Hans_CN", which matched no switch button.
            "current_locale": supported(locale) or locale,
            "html_lang": "zh-CN" if locale.startswith("zh") else "en",
            "languages": current_app.config["LANGUAGES"],
            "nav_items": nav_items,
            "role_label": role_label,
            "current_path": request.full_path.rstrip("?") if request else "/",
        }
