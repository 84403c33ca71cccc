"""What the order desk reads: every company's orders filtered (state, supplier, days, payment,
customs, refunds) and paged by keyset in a fixed number of queries, their CSV export, one
order with everything recorded about it, and the exceptions a person must resolve.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import BigInteger, String, and_, cast, exists, literal, null, or_, select, union_all
from sqlalchemy.orm import selectinload

from app import ledger, payments
from app.accounts.models import Company, User
from app.core.audit import AuditEntry
from app.core.bounds import clean, length_of
from app.extensions import db
from app.orders import queries, services
from app.orders.models import Order, OrderLine
from app.payments import callbacks, customs
from app.payments.models import (Charge, ChargeStatus, Declaration, DeclarationState, Payment, Refund,
                                 RefundStatus)

PAGE_SIZE = 20
EXPORT_LIMIT = queries.EXPORT_LIMIT
EXCEPTIONS_LIMIT = 200
CUSTOMS_CHOICES = ("none",) + tuple(s.value for s in DeclarationState)
REFUND_CHOICES = tuple(s.value for s in RefundStatus) + ("needs_funds",)
# An order's customs state is its least advanced declaration's.
_CUSTOMS_RANK = {DeclarationState.FAILED: 0, DeclarationState.PENDING: 1, DeclarationState.SUBMITTED: 2,
                 DeclarationState.SUCCEEDED: 3}


@dataclass(frozen=True)
class DeskFilters:
    base: queries.Filters = field(default_factory=queries.Filters)   # state, days, keyset
    supplier: str | None = None         # part of a supplier's name
    payment: ChargeStatus | None = None
    customs: str | None = None
    refund: str | None = None
    number: str | None = None           # the start of an order number

    def args(self, **changes: object) -> dict[str, str]:
        """As query parameters (for links that keep the filters); `changes` override them."""
        values = {**self.base.args(), "supplier": self.supplier, "payment": self.payment.value if self.payment else None,
                  "customs": self.customs, "refund": self.refund, "q": self.number, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}

    @property
    def any(self) -> bool:
        b = self.base
        return any((b.state, b.start, b.end, self.supplier, self.payment, self.customs, self.refund, self.number))


def _choice(args: Mapping[str, str], name: str, choices: Sequence[str], errors: dict[str, str]) -> str | None:
    raw = (args.get(name) or "").strip()
    if raw and raw not in choices:
        errors[name] = str(_l("Choose one from the list."))
        return None
    return raw or None


def parse_filters(args: Mapping[str, str]) -> tuple[DeskFilters, dict[str, str]]:
    """The desk's filters from the query string; a bad one is left out and explained."""
    base, errors = queries.parse_filters(args)
    supplier = clean(args.get("supplier") or "")[:length_of(OrderLine.supplier_name)]
    payment = _choice(args, "payment", [s.value for s in ChargeStatus], errors)
    number = "".join(ch for ch in (args.get("q") or "").strip().upper() if ch.isascii() and ch.isalnum())[:24]
    return DeskFilters(base, supplier or None, ChargeStatus(payment) if payment else None,
                       _choice(args, "customs", CUSTOMS_CHOICES, errors),
                       _choice(args, "refund", REFUND_CHOICES, errors), number or None), errors


# What a row of the list shows of an order: read as columns, not as whole orders.
LISTED = (Order.id, Order.number, Order.created_at, Order.state, Order.total_fen, Order.refunded_fen)


def _filtered(f: DeskFilters, *order):
    """`order` (the Order entity, or LISTED) with its charge's id and state and its company's
    name, as the filters say."""
    stmt = (select(*order, Charge.id, Charge.status, Company.name)
            .outerjoin(Charge, and_(Charge.owner_type == services.OWNER, Charge.owner_id == Order.id))
            .join(Company, Company.id == Order.company_id))
    stmt = queries.narrowed(stmt, f.base)
    if f.number:
        stmt = stmt.where(Order.number.startswith(f.number, autoescape=True))
    if f.supplier:
        stmt = stmt.where(exists().where(OrderLine.order_id == Order.id,
                                         OrderLine.supplier_name.icontains(f.supplier, autoescape=True)))
    if f.payment:
        stmt = stmt.where(Charge.status == f.payment)
    if f.customs == "none":
        stmt = stmt.where(~exists().where(Declaration.charge_id == Charge.id))
    elif f.customs:
        stmt = stmt.where(exists().where(Declaration.charge_id == Charge.id,
                                         Declaration.state == DeclarationState(f.customs)))
    if f.refund == "needs_funds":
        stmt = stmt.where(exists().where(Refund.charge_id == Charge.id, Refund.needs_funds.is_(True)))
    elif f.refund:
        stmt = stmt.where(exists().where(Refund.charge_id == Charge.id, Refund.status == RefundStatus(f.refund)))
    return stmt


@dataclass(frozen=True)
class Mark:
    """A refund or a customs declaration of a listed order, as much as the list shows of it."""

    state: str
    amount_fen: int | None = None
    cert: str | None = None


@dataclass(frozen=True)
class DeskRow:
    order: Any                             # an Order, or a row of its LISTED columns
    company: str
    payment: str | None                    # the charge's state (open, paid, closed)
    refunds: list[Mark]
    declarations: list[Mark]
    transaction_id: str | None = None      # the paying WeChat transaction (in exports)

    @property
    def customs(self) -> str | None:
        """The least advanced declaration's state, or None when nothing is declared."""
        if not self.declarations:
            return None
        return min((DeclarationState(d.state) for d in self.declarations), key=_CUSTOMS_RANK.__getitem__).value

    @property
    def cert(self) -> str | None:
        found = {d.cert for d in self.declarations if d.cert}
        return "DIFFERENT" if "DIFFERENT" in found else "SAME" if "SAME" in found else None

    def refund_counts(self) -> list[tuple[str, int]]:
        counts: dict[str, int] = {}
        for r in self.refunds:
            counts[r.state] = counts.get(r.state, 0) + 1
        return sorted(counts.items())


def _marks(charge_ids: Sequence[int]) -> dict[int, tuple[list[Mark], list[Mark]]]:
    """Each charge's (refunds, declarations), in one query however many charges."""
    if not charge_ids:
        return {}
    refunds = select(Refund.charge_id, literal("r").label("kind"), cast(Refund.status, String(20)).label("state"),
                     Refund.amount_fen.label("amount"), cast(null(), String(20)).label("cert"), Refund.id.label("n")) \
        .where(Refund.charge_id.in_(charge_ids))
    declared = select(Declaration.charge_id, literal("d"), cast(Declaration.state, String(20)), cast(null(), BigInteger),
                      Declaration.cert_check_result, Declaration.id).where(Declaration.charge_id.in_(charge_ids))
    found: dict[int, tuple[list[Mark], list[Mark]]] = {}
    for charge_id, kind, state, amount, cert, _n in db.session.execute(union_all(refunds, declared)
                                                                       .order_by("kind", "n")):
        pair = found.setdefault(charge_id, ([], []))
        pair[0 if kind == "r" else 1].append(Mark(state, amount, cert))
    return found


def _rows(found: Sequence[tuple[Any, int | None, ChargeStatus | None, str]],
          transactions: dict[int, str] | None = None) -> list[DeskRow]:
    marks = _marks([charge_id for _, charge_id, _, _ in found if charge_id])
    rows = []
    for order, charge_id, status, company in found:
        refunds, declarations = marks.get(charge_id, ([], []))
        rows.append(DeskRow(order, company, status.value if status else None, refunds, declarations,
                            (transactions or {}).get(charge_id)))
    return rows


def page(f: DeskFilters, limit: int = PAGE_SIZE) -> tuple[list[DeskRow], int | None]:
    """Up to `limit` orders, newest first, and the id to continue from (None on the last page):
    two queries (orders with charges and companies; refunds and declarations), however deep."""
    stmt = _filtered(f, *LISTED)
    if f.base.before:
        stmt = stmt.where(Order.id < f.base.before)
    found = db.session.execute(stmt.order_by(Order.id.desc()).limit(limit + 1)).all()
    width = len(LISTED)
    rows = _rows([(r, *r[width:]) for r in found[:limit]])
    return rows, (rows[-1].order.id if len(found) > limit else None)


def for_export(f: DeskFilters) -> list[DeskRow]:
    """Every matching order (at most EXPORT_LIMIT) with its lines and paying transaction: four queries."""
    stmt = _filtered(replace(f, base=replace(f.base, before=None)), Order)
    found = db.session.execute(stmt.options(selectinload(Order.lines)).order_by(Order.id.desc())
                               .limit(EXPORT_LIMIT)).all()
    charge_ids = [charge_id for _, charge_id, _, _ in found if charge_id]
    transactions = dict(db.session.execute(select(Payment.charge_id, Payment.transaction_id).where(
        Payment.charge_id.in_(charge_ids), Payment.extra.is_(False))).all()) if charge_ids else {}
    return _rows(found, transactions)


# --- one order ------------------------------------------------------------------------------

@dataclass(frozen=True)
class LogLine:
    at: datetime
    subject: str        # order, payment, refund, declaration
    subject_id: int
    action: str
    from_state: str | None
    to_state: str | None
    actor: str | None
    note: str | None


_SUBJECTS = {Order.__tablename__: "order", Charge.__tablename__: "payment", Refund.__tablename__: "refund",
             Declaration.__tablename__: "declaration"}


def audit_log(order: Order, charge: Charge | None, refunds: Sequence[Refund],
              declarations: Sequence[Declaration]) -> list[LogLine]:
    """Everything recorded about the order, its payment, refunds and declarations: two queries."""
    subjects = [(Order, [order.id]), (Charge, [charge.id] if charge else []), (Refund, [r.id for r in refunds]),
                (Declaration, [d.id for d in declarations])]
    wanted = [and_(AuditEntry.subject_type == model.__tablename__, AuditEntry.subject_id.in_(ids))
              for model, ids in subjects if ids]
    entries = list(db.session.scalars(select(AuditEntry).where(or_(*wanted)).order_by(AuditEntry.at, AuditEntry.id)))
    ids = {e.actor_id for e in entries if e.actor_id}
    names = dict(db.session.execute(select(User.id, User.name).where(User.id.in_(ids))).all()) if ids else {}
    return [LogLine(e.at, _SUBJECTS[e.subject_type], e.subject_id, e.action, e.from_state, e.to_state,
                    names.get(e.actor_id), e.note) for e in entries]


def detail(order: Order) -> dict:
    """The order desk's view of one order: payment attempts and payments, the raw notifies
    WeChat sent, our polling history, refunds, declarations, ledger postings, audit log."""
    charge = db.session.scalar(select(Charge).options(selectinload(Charge.attempts), selectinload(Charge.payments))
                               .where(Charge.owner_type == services.OWNER, Charge.owner_id == order.id))
    refunds = list(db.session.scalars(select(Refund).where(Refund.charge_id == charge.id).order_by(Refund.id))) \
        if charge else []
    declarations = customs.declarations_of(charge.id) if charge else []
    numbers_at_wechat = [a.out_trade_no for a in charge.attempts] if charge else []
    people = {order.buyer_id} | {r.requested_by_id for r in refunds if r.requested_by_id}
    return {"charge": charge, "refunds": refunds, "declarations": declarations,
            "company": db.session.get(Company, order.company_id),
            "people": dict(db.session.execute(select(User.id, User.name).where(User.id.in_(people))).all()),
            "notifies": callbacks.callbacks_for(numbers_at_wechat),
            "polls": payments.queries_of(charge.id) if charge else [],
            "entries": ledger.entries_for_order(order.id),
            "log": audit_log(order, charge, refunds, declarations)}


# --- exceptions -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Exceptions:
    failed_refunds: list[tuple[Refund, Order, str]]        # (refund, its order, the company's name)
    waiting_for_funds: list[tuple[Refund, Order, str]]
    failed_declarations: list[tuple[Declaration, Order, str]]


def _owners(charge_ids: set[int]) -> dict[int, tuple[Order, str]]:
    if not charge_ids:
        return {}
    rows = db.session.execute(select(Charge.id, Order, Company.name)
                              .join(Order, and_(Charge.owner_type == services.OWNER, Charge.owner_id == Order.id))
                              .join(Company, Company.id == Order.company_id).where(Charge.id.in_(charge_ids)))
    return {charge_id: (order, company) for charge_id, order, company in rows}


def exceptions(limit: int = EXCEPTIONS_LIMIT) -> Exceptions:
    """Refunds WeChat Pay failed (CHANGE, REFUNDCLOSE, refused), refunds waiting for the
    merchant's balance (NOTENOUGH: finance tops it up), declarations customs refused;
    oldest first, at most `limit` of each: three queries."""
    refunds = list(db.session.scalars(select(Refund).where(
        or_(Refund.status == RefundStatus.FAILED,
            and_(Refund.needs_funds.is_(True), Refund.status == RefundStatus.APPROVED)))
        .order_by(Refund.id).limit(2 * limit)))
    declarations = list(db.session.scalars(select(Declaration).where(Declaration.state == DeclarationState.FAILED)
                                           .order_by(Declaration.id).limit(limit)))
    owners = _owners({r.charge_id for r in refunds} | {d.charge_id for d in declarations})

    def owned(rows):
        return [(row, *owners[row.charge_id]) for row in rows if row.charge_id in owners]

    failed = [r for r in refunds if r.status == RefundStatus.FAILED][:limit]
    waiting = [r for r in refunds if r.status == RefundStatus.APPROVED][:limit]
    return Exceptions(owned(failed), owned(waiting), owned(declarations))
