"""WeChat OAuth (snsapi_base) for the payer's openid, which JSAPI payment needs.

WeChat's in-app browser sometimes loads the return address twice: the second load's
code is refused (40163, used). The state is kept (not consumed) for that reason, and
a used code is no failure when the first load already stored the openid.
"""
from __future__ import annotations

import secrets

from flask import current_app, redirect, session, url_for
from flask_login import current_user

from app.payments import gateway as gw


_KEY = "kj_wechat_oauth"


def start(next_url: str):
    from app.payments.services import get_gateway

    state = secrets.token_urlsafe(16)
    pending = dict(session.get(_KEY) or {})
    pending[state] = next_url
    session[_KEY] = dict(list(pending.items())[-5:])  # a few tabs at most
    return redirect(get_gateway().oauth_url(url_for("payments.oauth_return", _external=True), state))


def finish(code: str, state: str) -> str | None:
    """Trade the code for the openid and keep it on the user; where to go next, or None
    when the state is not one this browser started (a forged or stale return)."""
    from app import accounts
    from app.core.errors import DomainError
    from app.payments.services import PaymentUnavailable, get_gateway
    from flask_babel import lazy_gettext as _l

    next_url = (session.get(_KEY) or {}).get(state)
    if next_url is None or not code or len(code) > 256:
        return None
    user = current_user._get_current_object()
    try:
        identity = get_gateway().exchange_oauth_code(code)
    except gw.OAuthCodeUsed:
        if user.wechat_openid:  # the first load of this return already did the work
            return next_url
        raise DomainError(_l("WeChat did not confirm who is paying. Please try again."), code="oauth_used") from None
    except gw.OAuthRejected as e:
        current_app.logger.info("WeChat OAuth refused a code: %s", e.code)
        raise DomainError(_l("WeChat did not confirm who is paying. Please try again."), code="oauth_refused") from None
    except gw.GatewayError:
        raise PaymentUnavailable(_l("WeChat is not answering at the moment. Please try again in a minute.")) from None
    accounts.set_wechat_openid(user, identity.openid)
    return next_url
