"""Account changes. Each function flushes; the caller's request commits."""
from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.accounts.models import (
    BuyerRole,
    Company,
    Invitation,
    Membership,
    User,
    new_session_token,
)
from app.accounts.passwords import hash_password, verify_password
from app.core.errors import DomainError
from app.core.models import utcnow
from app.extensions import db


def find_user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def sign_up(*, company_name: str, credit_code: str, contact_phone: str, name: str,
            email: str, password: str, language: str = "zh_CN") -> User:
    """Create a buyer company and its owner. Raises DomainError when the email or company is taken."""
    if find_user_by_email(email):
        raise DomainError(_l("An account with this email already exists."), "email")
    code = credit_code.strip().upper()
    if db.session.scalar(select(Company.id).where(Company.credit_code == code)):
        raise DomainError(_l("This company is already registered."), "credit_code")
    company = Company(name=company_name.strip(), credit_code=code, contact_phone=contact_phone)
    user = User(email=email.strip().lower(), name=name.strip(), phone=contact_phone,
                password_hash=hash_password(password), language=language)
    try:
        # A savepoint: a double-clicked submit loses the race on the unique keys.
        with db.session.begin_nested():
            db.session.add_all([company, user])
            db.session.add(Membership(user=user, company=company, role=BuyerRole.OWNER))
    except IntegrityError:
        raise DomainError(_l("An account with this email already exists."), "email") from None
    return user


def authenticate(email: str, password: str) -> User | None:
    """The active user with this email and password, else None (same cost either way)."""
    user = find_user_by_email(email)
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def end_sessions(user: User) -> None:
    """Invalidate every login cookie the user holds (logout, password change)."""
    user.session_token = new_session_token()
    db.session.flush()


class WrongPassword(DomainError):
    """The password given to confirm a change is not the account's (a guess, to be counted)."""

    code = "wrong_password"


def change_password(user: User, current: str, new: str) -> None:
    """Set a new password after checking the current one; signs out other sessions.

    Raises WrongPassword when `current` is not the password, DomainError when `new` is it."""
    if not verify_password(user.password_hash, current):
        raise WrongPassword(_l("The current password is not correct."), "current_password")
    if current == new:
        raise DomainError(_l("Choose a password different from the current one."), "new_password")
    user.password_hash = hash_password(new)
    end_sessions(user)


def set_language(user: User, language: str) -> None:
    user.language = language
    db.session.flush()


def members_who_buy() -> list[tuple[User, int]]:
    """Every (user, company id) whose role may place orders (owners and buyers)."""
    from app.accounts.models import BuyerRole, Membership

    rows = db.session.scalars(select(Membership).where(Membership.role.in_([BuyerRole.OWNER, BuyerRole.BUYER]))
                              .order_by(Membership.id))
    return [(m.user, m.company_id) for m in rows]


def set_wechat_openid(user: User, openid: str) -> None:
    """Keep who the user is to WeChat Pay (JSAPI needs it for every payment in WeChat)."""
    user.wechat_openid = openid[:64]
    db.session.flush()


def recipient(user: User):
    """Who `user` is to the notification layer: their number, language and whether they
    proved they hold it; None when they have no usable number or are deactivated."""
    from app.core.validators import normalize_phone
    from app.notifications import Recipient

    phone = normalize_phone(user.phone or "")
    if phone is None or not user.active:
        return None
    return Recipient(phone, user.language, user.id, verified=user.verified_phone == phone)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class NewInvitation:
    invitation: Invitation
    token: str
    link: str


def invite(*, inviter: User, company_id: int, email: str, role: BuyerRole,
           phone: str | None = None) -> NewInvitation:
    """Create an invitation to the company and text its link to `phone`, if given.

    The token is returned once (in the link), never stored. Raises DomainError when
    the email is a member already or belongs to another account.
    """
    email = email.strip().lower()
    existing = find_user_by_email(email)
    if existing and any(m.company_id == company_id for m in existing.memberships):
        raise DomainError(_l("This person is already a member."), "email")
    if existing:
        raise DomainError(_l("This email already belongs to another account."), "email")
    token = secrets.token_urlsafe(32)
    days = current_app.config["INVITATION_DAYS"]
    invitation = Invitation(company_id=company_id, invited_by_id=inviter.id, email=email,
                            phone=phone, role=role, token_hash=_token_hash(token),
                            expires_at=utcnow() + timedelta(days=days))
    db.session.add(invitation)
    db.session.flush()
    from app.core.security import public_url

    link = public_url("accounts.accept", token=token)  # it leaves the site: copied, sent by SMS
    if phone:
        from app import notifications

        notifications.notify("member_invitation", notifications.Recipient(phone, inviter.language),
                             about=invitation, expires_at=invitation.expires_at,
                             company=invitation.company.name, link=link)
    return NewInvitation(invitation, token, link)


def open_invitation(token: str) -> Invitation | None:
    inv = db.session.scalar(select(Invitation).where(Invitation.token_hash == _token_hash(token)))
    return inv if inv and inv.is_open() else None


def accept_invitation(token: str, *, name: str, password: str, language: str) -> User:
    """Create the invited user and their membership; the link then stops working."""
    inv = db.session.scalar(
        select(Invitation).where(Invitation.token_hash == _token_hash(token)).with_for_update()
    )
    if inv is None or not inv.is_open():
        raise DomainError(_l("This invitation link is no longer valid."))
    if find_user_by_email(inv.email):
        raise DomainError(_l("This email already belongs to another account."))
    user = User(email=inv.email, phone=inv.phone, name=name.strip(),
                password_hash=hash_password(password), language=language)
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.add(Membership(user=user, company_id=inv.company_id, role=inv.role))
            inv.accepted_at = utcnow()
    except IntegrityError:
        raise DomainError(_l("This email already belongs to another account.")) from None
    return user


def revoke_invitation(company_id: int, invitation_id: int) -> None:
    inv = db.session.scalar(select(Invitation).where(
        Invitation.id == invitation_id, Invitation.company_id == company_id))
    if inv is None or not inv.is_open():
        raise DomainError(_l("This invitation is no longer open."))
    inv.revoked_at = utcnow()
    db.session.flush()


def change_role(*, company_id: int, membership_id: int, role: BuyerRole) -> Membership:
    """Give a member another role; the company always keeps at least one owner."""
    # Lock the company first: two owners demoting each other at once must not both pass.
    db.session.execute(select(Company.id).where(Company.id == company_id).with_for_update())
    m = db.session.scalar(select(Membership).where(
        Membership.id == membership_id, Membership.company_id == company_id).with_for_update())
    if m is None:
        raise DomainError(_l("No such member."))
    if m.role == BuyerRole.OWNER and role != BuyerRole.OWNER:
        owners = db.session.scalar(select(func.count()).select_from(Membership).where(
            Membership.company_id == company_id, Membership.role == BuyerRole.OWNER))
        if owners <= 1:
            raise DomainError(_l("A company needs at least one owner."))
    m.role = role
    db.session.flush()
    return m


def members(company_id: int) -> list[Membership]:
    from sqlalchemy.orm import joinedload

    return list(db.session.scalars(
        select(Membership).options(joinedload(Membership.user))
        .where(Membership.company_id == company_id).order_by(Membership.id)))


def open_invitations(company_id: int) -> list[Invitation]:
    return list(db.session.scalars(select(Invitation).where(
        Invitation.company_id == company_id, Invitation.accepted_at.is_(None),
        Invitation.revoked_at.is_(None), Invitation.expires_at > utcnow()).order_by(Invitation.id)))
