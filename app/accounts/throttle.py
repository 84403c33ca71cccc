"""Sign-in attempt limits, per account and per client address.

Every attempt is counted *before* the password is checked, atomically in Redis,
so parallel guesses cannot slip past the limit; a successful sign-in clears the
account's count. With Redis down, the limiter's in-memory fallback counts per
process, and if even that fails the attempt is allowed (and logged) rather than
locking everybody out.
"""
from __future__ import annotations

from flask import current_app, request
from limits import parse

from app.extensions import limiter


def _items():
    cfg = current_app.config
    prefix = cfg["RATELIMIT_KEY_PREFIX"]
    return (parse(cfg["LOGIN_LIMIT_PER_ACCOUNT"]), prefix, "login-account"), \
           (parse(cfg["LOGIN_LIMIT_PER_IP"]), prefix, "login-ip")


def allow_attempt(email: str) -> bool:
    """Count one sign-in attempt; False when the account or the address is over its limit."""
    if not limiter.enabled:
        return True
    (account_limit, prefix, account_scope), (ip_limit, _, ip_scope) = _items()
    try:
        strategy = limiter.limiter
        by_account = strategy.hit(account_limit, prefix, account_scope, email.strip().lower())
        by_ip = strategy.hit(ip_limit, prefix, ip_scope, request.remote_addr or "")
    except Exception:  # storage failure: never lock every user out because Redis is sick
        current_app.logger.exception("login throttle unavailable")
        return True
    return by_account and by_ip


def clear_account(email: str) -> None:
    """Forget an account's failed attempts after it signs in."""
    if not limiter.enabled:
        return
    (account_limit, prefix, account_scope), _ = _items()
    try:
        limiter.limiter.clear(account_limit, prefix, account_scope, email.strip().lower())
    except Exception:
        current_app.logger.exception("login throttle unavailable")
