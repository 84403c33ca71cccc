"""Limits on guessing passwords, declared with Flask-Limiter.

Only wrong passwords count (`deduct_when`), never a successful sign-in, so an office
behind one address can sign in all day. Three budgets, as mature sites keep them:
wrong passwords for one account from one client (LOGIN_LIMIT_PER_ACCOUNT_CLIENT), a
slower ceiling for one account from everywhere (LOGIN_LIMIT_PER_ACCOUNT), and wrong
passwords from one client across accounts (LOGIN_LIMIT_PER_IP). A browser that signed
in to the account before carries a signed device cookie and is judged by its own
budget only: strangers guessing from anywhere cannot lock the owner out.

Flask-Limiter checks a budget before the view and counts the failure after it, so
attempts at one account run one at a time (`one_at_a_time`, released only when the
request is over): parallel guesses cannot all pass the check before any is counted.
With Redis down the limiter counts in memory per process and the lock is per process.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import Flask, Response, current_app, g, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeTimedSerializer

from app.core.bounds import clean
from app.core.errors import TooMany, limit_wait
from app.core.i18n import wait_text
from app.core.security import client_key
from app.extensions import limiter

F = TypeVar("F", bound=Callable[..., Any])

DEVICE_COOKIE = "kj_device"
DEVICE_DAYS = 365
DEVICE_ACCOUNTS = 5  # accounts one browser is remembered for
_LOCAL = [threading.Lock() for _ in range(64)]  # stand-ins for the Redis lock, per process


def _setting(name: str) -> Callable[[], str]:
    return lambda: current_app.config[name]


def _digest(value: str) -> str:
    return hmac.new(current_app.secret_key.encode(), value.encode(), hashlib.sha256).hexdigest()[:24]


def _account() -> str:
    """The posted email as a fixed-length key ("" when none was posted: nothing is limited)."""
    email = clean(request.form.get("email", "")).lower()
    return _digest(email) if email else ""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="kj-sign-in-device")


def _device() -> dict[str, Any] | None:
    if "kj_device" not in g:
        try:
            g.kj_device = _serializer().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
        except BadSignature:
            g.kj_device = None
    return g.kj_device


def known_device() -> bool:
    """This browser signed in to the posted account before (its signed cookie says so)."""
    device = _device()
    return bool(device) and _account() in device.get("a", [])


def _client() -> str:
    device = _device()
    return f"device:{device['d']}" if known_device() and device else f"ip:{client_key()}"


def _account_client() -> str:
    account = _account()
    return f"{account}:{_client()}" if account else ""


def _user() -> str:
    return f"user:{current_user.get_id()}" if current_user.is_authenticated else ""


def _failed(response: Response) -> bool:
    return bool(g.get("kj_wrong_password"))


def count_failure() -> None:
    """Count this request's wrong password against its budgets (after the response)."""
    g.kj_wrong_password = True


def _too_many_sign_ins() -> str:
    return _("Too many wrong passwords. Please try again in %(wait)s, or sign in with an SMS code.",
             wait=wait_text(limit_wait()))


def _too_many_checks() -> str:
    return _("Too many wrong passwords. Please try again in %(wait)s.", wait=wait_text(limit_wait()))


def _hold(key: str) -> None:
    from redis.exceptions import RedisError

    from app.core.redis import redis_client

    name = f"{current_app.config['RATELIMIT_KEY_PREFIX']}:one-at-a-time:{key}"
    try:
        lock: Any = redis_client().lock(name, timeout=30, blocking_timeout=10)
        acquired = lock.acquire()
    except (RedisError, OSError):
        lock = _LOCAL[int(key[-6:], 16) % len(_LOCAL)]
        acquired = lock.acquire(timeout=10)
    if not acquired:
        raise TooMany(_l("Too many sign-in attempts at once. Please try again in a moment."), retry_after=5)
    g.setdefault("kj_held_locks", []).append(lock)


def one_at_a_time(key: Callable[[], str]) -> Callable[[F], F]:
    """Let one POST per `key()` run at a time, until the request has ended (its limits'
    deductions included); the next waits for it, up to 10 seconds."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if request.method == "POST" and limiter.enabled and (name := key()):
                _hold(_digest(name))
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def sign_in_limits(view: F) -> F:
    """The three password budgets of the sign-in form; the view calls count_failure()."""
    common: dict[str, Any] = {"methods": ["POST"], "deduct_when": _failed, "error_message": _too_many_sign_ins}
    view = limiter.limit(_setting("LOGIN_LIMIT_PER_ACCOUNT_CLIENT"), key_func=_account_client,
                         scope="login-account-client", **common)(view)
    view = limiter.limit(_setting("LOGIN_LIMIT_PER_ACCOUNT"), key_func=_account, scope="login-account",
                         exempt_when=known_device, **common)(view)
    view = limiter.limit(_setting("LOGIN_LIMIT_PER_IP"), scope="login-ip", exempt_when=known_device,
                         **common)(view)
    return one_at_a_time(_account)(view)


def password_check_limits(view: F) -> F:
    """Wrong current passwords on the account page, per user (as per account and client)."""
    view = limiter.limit(_setting("LOGIN_LIMIT_PER_ACCOUNT_CLIENT"), key_func=_user, scope="password-check",
                         methods=["POST"], deduct_when=_failed, error_message=_too_many_checks)(view)
    return one_at_a_time(_user)(view)


def remember_device(response: Response, email: str) -> Response:
    """Mark this browser as one that signed in to `email`'s account (a signed cookie)."""
    device = _device() or {}
    account = _digest(clean(email).lower())
    accounts = [a for a in device.get("a", []) if a != account][-(DEVICE_ACCOUNTS - 1):] + [account]
    value = _serializer().dumps({"d": device.get("d") or secrets.token_hex(8), "a": accounts})
    response.set_cookie(DEVICE_COOKIE, value, max_age=DEVICE_DAYS * 86400, httponly=True, samesite="Lax",
                        secure=current_app.config["SESSION_COOKIE_SECURE"])
    return response


def _release(error: BaseException | None = None) -> None:
    for lock in g.pop("kj_held_locks", []):
        try:
            lock.release()
        except Exception:  # the Redis lock expired or Redis went away: it times out by itself
            current_app.logger.warning("could not release a sign-in lock", exc_info=True)


def init_app(app: Flask) -> None:
    # Teardown runs after every after_request hook, Flask-Limiter's deductions included.
    app.teardown_request(_release)
