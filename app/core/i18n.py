"""Which language and time zone a request is served in."""
from __future__ import annotations

from datetime import timedelta

from flask import current_app, has_request_context, request
from flask_babel import format_timedelta
from flask_login import current_user

LANG_COOKIE = "kj_lang"


def supported(code: str | None) -> str | None:
    if not code:
        return None
    code = code.replace("-", "_")
    languages = current_app.config["LANGUAGES"]
    if code in languages:
        return code
    if code.lower().startswith("zh"):
        return "zh_CN"
    if code.lower().startswith("en"):
        return "en"
    return None


def chosen_language() -> str:
    """The signed-in user's choice, else the cookie, else Chinese (the portal's default).

    API calls (/api/) first follow their Accept-Language: a program says what its
    people read there. Pages do not: a browser sends one whatever the user picked here.
    Outside a request (a job, a command) it is the default: whoever renders text for a
    particular person there says which language with `force_locale`.
    """
    if not has_request_context():
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    if request.path.startswith("/api/"):
        for code, _quality in request.accept_languages:
            asked = supported(code)
            if asked:
                return asked
    if getattr(current_user, "is_authenticated", False):
        chosen = supported(current_user.language)
        if chosen:
            return chosen
    return supported(request.cookies.get(LANG_COOKIE)) or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_locale() -> str:
    # Babel expands zh_CN to zh_Hans_CN; the catalogs live under that name.
    return chosen_language()


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]


_translated: dict[tuple[int, str], dict] = {}


def translated(mapping: dict) -> dict:
    """`mapping` with its lazy labels rendered in the request's language, worked out once
    per language: vocabularies (countries, categories) are fixed while the process runs,
    and a page may show the same labels hundreds of times."""
    from flask_babel import get_locale

    key = (id(mapping), str(get_locale() or ""))
    found = _translated.get(key)
    if found is None:
        found = _translated[key] = {k: str(v) for k, v in mapping.items()}
    return found


def wait_text(seconds: int) -> str:
    """How long to wait, as people say it in the request's language ("15 minutes", "15分钟")."""
    return format_timedelta(timedelta(seconds=max(1, seconds)), threshold=1)
