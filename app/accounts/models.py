"""Companies, users, memberships, invitations and one-time phone codes."""
from __future__ import annotations

import enum
import secrets
from datetime import datetime

from sqlalchemy import Enum, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.core.models import TimestampMixin, utcnow
from app.extensions import db


class BuyerRole(str, enum.Enum):
    OWNER = "owner"
    BUYER = "buyer"
    FINANCE = "finance"


class StaffRole(str, enum.Enum):
    AGENT = "agent"
    OPS = "ops"
    FINANCE_ADMIN = "finance_admin"
    ADMIN = "admin"


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class Company(TimestampMixin, db.Model):
    __tablename__ = "companies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    credit_code: Mapped[str] = mapped_column(String(18), unique=True)
    contact_phone: Mapped[str] = mapped_column(String(20))

    memberships: Mapped[list[Membership]] = relationship(back_populates="company")


class User(TimestampMixin, db.Model):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(80))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(10), default="zh_CN")
    staff_role: Mapped[StaffRole | None] = mapped_column(
        Enum(StaffRole, name="staff_role", values_callable=lambda e: [m.value for m in e])
    )
    # Part of the login cookie; rotating it signs out every session holding the old one.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token)
    active: Mapped[bool] = mapped_column(default=True)
    last_login_at: Mapped[datetime | None]
    # The number the user proved they hold with a code; unique, so that a code login
    # leads to exactly one account. Optional SMS go only to a verified number.
    verified_phone: Mapped[str | None] = mapped_column(String(20), unique=True)
    phone_verified_at: Mapped[datetime | None]
    # Who this user is to WeChat Pay's JSAPI (learnt through WeChat OAuth when they pay in WeChat).
    wechat_openid: Mapped[str | None] = mapped_column(String(64))

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", lazy="selectin", order_by="Membership.id"
    )

    @property
    def phone_is_verified(self) -> bool:
        return bool(self.phone) and self.verified_phone == self.phone

    @property
    def membership(self) -> Membership | None:
        return self.memberships[0] if self.memberships else None

    @property
    def company_id(self) -> int | None:
        m = self.membership
        return m.company_id if m else None

    def roles(self) -> frozenset[str]:
        # Only the company the user acts for (see auth.current_company_id) grants roles.
        roles = {self.membership.role.value} if self.membership else set()
        if self.staff_role:
            roles.add(self.staff_role.value)
            roles.add("staff")
        return frozenset(roles)

    # flask-login
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"


class Membership(TimestampMixin, db.Model):
    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "company_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    role: Mapped[BuyerRole] = mapped_column(
        Enum(BuyerRole, name="buyer_role", values_callable=lambda e: [m.value for m in e])
    )

    user: Mapped[User] = relationship(back_populates="memberships")
    company: Mapped[Company] = relationship(back_populates="memberships")


class Invitation(TimestampMixin, db.Model):
    __tablename__ = "invitations"

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(ForeignKey("companies.id", ondelete="CASCADE"), index=True)
    invited_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(20))
    role: Mapped[BuyerRole] = mapped_column(
        Enum(BuyerRole, name="buyer_role", values_callable=lambda e: [m.value for m in e])
    )
    # Only a hash is stored: the link itself is shown once to the owner.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime]
    accepted_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    company: Mapped[Company] = relationship()

    def is_open(self, now: datetime | None = None) -> bool:
        now = now or utcnow()
        return self.accepted_at is None and self.revoked_at is None and self.expires_at > now


class CodePurpose(str, enum.Enum):
    LOGIN = "login"
    VERIFY_PHONE = "verify_phone"


class PhoneCode(db.Model):
    """A one-time code sent by SMS. Only an HMAC of the code is stored."""

    __tablename__ = "sms_codes"
    __table_args__ = (
        Index("ix_sms_codes_phone_created_at", "phone", "created_at"),
        Index("ix_sms_codes_ip_created_at", "ip", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(String(20))
    purpose: Mapped[CodePurpose] = mapped_column(
        Enum(CodePurpose, name="sms_code_purpose", values_callable=lambda e: [m.value for m in e])
    )
    # Login codes for a number no account uses are recorded (and never sent) so that
    # rate limits and replies look the same whether or not the number is known.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    nonce: Mapped[str] = mapped_column(String(32))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(default=0)
    ip: Mapped[str | None] = mapped_column(String(45))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("sms_messages.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    consumed_at: Mapped[datetime | None]
    voided_at: Mapped[datetime | None]


class ApiToken(db.Model):
    """A token for the JSON API, acting as its user. Only a SHA-256 of it is stored: the
    token itself is shown once, when it is created."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # The last characters, so that a person can tell their tokens apart in the list.
    hint: Mapped[str] = mapped_column(String(4))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()
