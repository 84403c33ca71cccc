"""Consignees: asked for once, remembered as the buyer's default, editable; and each person's
cross-border retail purchases this year, found by the keyed hash of their identity number."""
from __future__ import annotations

from datetime import date, datetime, time

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select, update

from app.core import crypto
from app.core.errors import DomainError, NotFound
from app.core.models import utcnow
from app.core.validators import mask_cn_id, normalize_cn_id, normalize_phone
from app.extensions import db
from app.orders.models import Consignee, Order, OrderState

ID_PURPOSE = "consignee-id"


def default_consignee(user_id: int) -> Consignee | None:
    return db.session.scalar(select(Consignee).where(Consignee.user_id == user_id, Consignee.is_default.is_(True)))


def consignees_of(user_id: int) -> list[Consignee]:
    return list(db.session.scalars(select(Consignee).where(Consignee.user_id == user_id)
                                   .order_by(Consignee.is_default.desc(), Consignee.id)))


def get(consignee_id: int, user_id: int) -> Consignee:
    found = db.session.scalar(select(Consignee).where(Consignee.id == consignee_id, Consignee.user_id == user_id))
    if found is None:
        raise NotFound(_l("There is no such consignee."), "consignee_id")
    return found


def save(user, company_id: int, *, name: str, phone: str, address: str, id_number: str | None,
         consignee: Consignee | None = None, make_default: bool = True) -> Consignee:
    """Create or change a consignee of `user`; the identity number (optional, needed for
    retail imports) is checked (GB 11643), encrypted and kept with its keyed hash.

    An empty identity number on an existing consignee keeps the one stored. Raises
    DomainError naming the field that is wrong.
    """
    phone_e164 = normalize_phone(phone)
    if phone_e164 is None:
        raise DomainError(_l("Enter a mobile number such as 13800138000 or +8613800138000."), "phone")
    consignee = consignee or Consignee(user_id=user.id, company_id=company_id)
    consignee.name, consignee.phone, consignee.address = name, phone_e164, address
    if id_number:
        number = normalize_cn_id(id_number)
        if number is None:
            raise DomainError(_l("Enter the 18-character identity card number; its last character did not check out."),
                              "id_number")
        consignee.id_cipher = crypto.encrypt(number)
        consignee.id_hash = crypto.fingerprint(number, ID_PURPOSE)
        consignee.id_masked = mask_cn_id(number)
    db.session.add(consignee)
    db.session.flush()
    if make_default:
        db.session.execute(update(Consignee).where(Consignee.user_id == user.id, Consignee.id != consignee.id)
                           .values(is_default=False))
        consignee.is_default = True
        db.session.flush()
    return consignee


def _beijing_year(day: date) -> tuple[datetime, datetime]:
    from zoneinfo import ZoneInfo

    china = ZoneInfo("Asia/Shanghai")
    return (datetime.combine(date(day.year, 1, 1), time(), china),
            datetime.combine(date(day.year + 1, 1, 1), time(), china))


def _retail_used(id_hash, today: date, now: datetime):
    """The statement that adds up a person's cross-border retail year; `id_hash` is a value,
    or a column to correlate with."""
    start, end = _beijing_year(today)
    paid = (Order.state != OrderState.PENDING_PAYMENT) & (Order.state != OrderState.CLOSED) \
        & (Order.paid_at >= start) & (Order.paid_at < end)
    holding = (Order.state == OrderState.PENDING_PAYMENT) & (Order.expires_at > now)
    return select(func.coalesce(func.sum(Order.dutiable_fen - Order.refunded_dutiable_fen), 0)).where(
        Order.consignee_id_hash == id_hash, Order.regime == "retail", paid | holding)


def retail_used_fen(id_hash: str, today: date, now: datetime | None = None) -> int:
    """What this person bought through cross-border retail this (Beijing) year, in fen of
    dutiable value: paid orders less what was refunded of them, and unpaid ones still open
    (they hold their share)."""
    return int(db.session.scalar(_retail_used(id_hash, today, now or utcnow())) or 0)


def default_with_year(user_id: int, today: date, now: datetime | None = None) -> tuple[Consignee | None, int | None]:
    """The user's default consignee and what that person bought through cross-border retail
    this year (None without an identity number), in one statement."""
    used = _retail_used(Consignee.id_hash, today, now or utcnow()).scalar_subquery()
    row = db.session.execute(select(Consignee, used).where(Consignee.user_id == user_id,
                                                           Consignee.is_default.is_(True))).first()
    if row is None:
        return None, None
    consignee, fen = row
    return consignee, int(fen or 0) if consignee.id_hash else None


def masked_phone(phone: str) -> str:
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else phone


