"""API tokens: created and revoked by their user (profile page, CLI), stored as a hash.

A token is "kj_" and 43 URL-safe characters (32 random bytes). The prefix lets people and
secret scanners recognise one; only its SHA-256 is kept, so the database alone cannot be
used to call the API. A token acts as its user, in the user's company and role as they
are at the time of each request; a revoked token, or one whose user was deactivated,
stops working at once.
"""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, String, bindparam, func, select
from sqlalchemy.orm import joinedload

from app.accounts.models import ApiToken, Membership, User
from app.core.errors import DomainError, NotFound
from app.core.models import utcnow
from app.extensions import db

PREFIX = "kj_"
MAX_LENGTH = 100             # anything longer is no token of ours: refused without a query
MAX_ACTIVE = 20              # per user: tokens are for systems, not one per request
# Recording each use would write a row on every API call; once a minute is enough to see
# whether a token is still in use.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class NewToken:
    token: ApiToken
    secret: str              # shown once, never stored


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def looks_like_token(secret: str) -> bool:
    return secret.startswith(PREFIX) and len(secret) <= MAX_LENGTH and secret.isascii() and secret.isprintable()


def active_of(user_id: int) -> list[ApiToken]:
    return list(db.session.scalars(select(ApiToken).where(ApiToken.user_id == user_id, ApiToken.revoked_at.is_(None))
                                   .order_by(ApiToken.id)))


def create(user: User, name: str) -> NewToken:
    """A new token for `user`, named so they recognise it; the secret is returned once.

    Raises DomainError for a deactivated user or one who has MAX_ACTIVE tokens already.
    """
    if not user.active:
        raise DomainError(_l("This account is deactivated."), "email")
    count = db.session.scalar(select(func.count()).select_from(ApiToken).where(
        ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)))
    if count >= MAX_ACTIVE:
        raise DomainError(_l("You have %(n)d API tokens already: revoke one you no longer use first.", n=MAX_ACTIVE),
                          "name")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(user_id=user.id, name=name, token_hash=digest(secret), hint=secret[-4:])
    db.session.add(token)
    db.session.flush()
    return NewToken(token, secret)


def revoke(user_id: int, token_id: int) -> ApiToken:
    """Revoke one of the user's tokens; NotFound for anybody else's. Revoking twice is harmless."""
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, ApiToken.user_id == user_id))
    if token is None:
        raise NotFound(_l("There is no such API token."), "token")
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


@cache
def _by_hash() -> Select:
    """The token with its user, memberships and company: one query per API request."""
    return (select(ApiToken)
            .options(joinedload(ApiToken.user).joinedload(User.memberships).joinedload(Membership.company))
            .where(ApiToken.token_hash == bindparam("token_hash", type_=String)))


def authenticate(secret: str, now: datetime | None = None) -> ApiToken | None:
    """The live token `secret` names (its user loaded), else None: unknown, revoked, or
    its user deactivated. Notes the use at most once a minute."""
    if not looks_like_token(secret):
        return None
    token = db.session.execute(_by_hash(), {"token_hash": digest(secret)}).unique().scalar_one_or_none()
    if token is None or token.revoked_at is not None or not token.user.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        token.last_used_at = now
    return token
