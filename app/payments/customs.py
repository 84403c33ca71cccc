"""Declaring a paid charge to customs through WeChat Pay, one sub-order per supplier.

Cross-border retail imports are declared after payment: each sub-order with its goods
and transport fees, and the buyer's identity for customs' check against the payer. A
job sends the declarations and another asks until customs says SUCCESS or FAIL; a
failed one can be declared again (a MODIFY, which voids the earlier one and may change
only the customs number, the duty and the fees). The identity number is kept encrypted.
"""
from __future__ import annotations

from dataclasses import dataclass
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import audit, crypto, jobs, states
from app.core.errors import DomainError
from app.core.models import utcnow
from app.extensions import db
from app.payments import gateway as gw
from app.payments.models import (
    DECLARATION_MACHINE,
    Attempt,
    Charge,
    Declaration,
    DeclarationState,
    Payment,
)

FINAL_AT_WECHAT = {"SUCCESS": DeclarationState.SUCCEEDED, "FAIL": DeclarationState.FAILED,
                   "EXCEPT": DeclarationState.FAILED}


@dataclass(frozen=True)
class SubOrder:
    party_id: int          # the owner's key for this part (a supplier)
    product_fee: int
    transport_fee: int
    duty: int = 0


@dataclass(frozen=True)
class Outcome:
    """What an owner hears once customs decided every sub-order of its charge."""

    declarations: list[tuple[int, DeclarationState, str | None]]   # (party, state, cert check)


def declare(charge: Charge, sub_orders: list[SubOrder], *, name: str, cert_cipher: str) -> list[Declaration]:
    """Promise the declarations of a paid charge; a job sends them after the commit."""
    from app.payments.jobs import send_declarations

    cfg = current_app.config
    rows = []
    for n, sub in enumerate(sub_orders, start=1):
        rows.append(Declaration(charge_id=charge.id, sub_order_no=f"{charge.number}S{n}", party_id=sub.party_id,
                                customs=cfg["CUSTOMS_OFFICE"], mch_customs_no=cfg["MCH_CUSTOMS_NO"],
                                product_fee=sub.product_fee, transport_fee=sub.transport_fee, duty=sub.duty,
                                buyer_name=name[:40], cert_cipher=cert_cipher))
    db.session.add_all(rows)
    db.session.flush()
    jobs.after_commit(send_declarations, charge.id, key=f"customs-send:{charge.id}:1")
    return rows


def _paid(charge_id: int) -> tuple[Attempt, Payment]:
    payment = db.session.scalar(select(Payment).where(Payment.charge_id == charge_id, Payment.extra.is_(False))
                                .order_by(Payment.id).limit(1))
    attempt = db.session.get(Attempt, payment.attempt_id)
    return attempt, payment


def send(charge_id: int) -> int:
    """Send every declaration of the charge still waiting; returns how many went.

    WeChat not answering raises for the job to try again; a refusal fails that
    declaration with WeChat's reason, for a person.
    """
    from app.payments.jobs import check_declarations
    from app.payments.services import get_gateway

    attempt, payment = _paid(charge_id)
    sent = 0
    for declaration in declarations_of(charge_id, lock=True):
        if declaration.state != DeclarationState.PENDING and not declaration.resend:
            continue
        cert_id = crypto.decrypt(declaration.cert_cipher) if declaration.cert_cipher else None
        try:
            answer = get_gateway().declare_customs(gw.CustomsRequest(
                out_trade_no=attempt.out_trade_no, transaction_id=payment.transaction_id,
                customs=declaration.customs, mch_customs_no=declaration.mch_customs_no,
                sub_order_no=declaration.sub_order_no, fee_type="CNY",
                order_fee=declaration.product_fee + declaration.transport_fee,
                product_fee=declaration.product_fee, transport_fee=declaration.transport_fee,
                duty=declaration.duty or None, cert_type="IDCARD" if cert_id else None, cert_id=cert_id,
                name=declaration.buyer_name if cert_id else None,
                action_type="MODIFY" if declaration.declared_times else "ADD"))
        except gw.GatewayUnavailable:
            raise
        except (gw.GatewayRejected, ValueError) as e:
            declaration.explanation = f"{getattr(e, 'code', None) or type(e).__name__}: {e}"[:200]
            declaration.resend = False
            states.apply(DECLARATION_MACHINE, declaration, DeclarationState.FAILED, note="refused")
            continue
        declaration.declared_times += 1
        declaration.resend = False
        if declaration.state in (DeclarationState.PENDING, DeclarationState.FAILED):
            states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUBMITTED)
        _record(declaration, answer)
        sent += 1
    db.session.flush()
    if sent:
        jobs.after_commit(check_declarations, charge_id, key=f"customs-check:{charge_id}:{utcnow():%Y%m%d%H%M%S}",
                          delay=30)
    return sent


def _record(declaration: Declaration, answer: gw.CustomsDeclaration) -> None:
    declaration.wechat_state = answer.state
    declaration.cert_check_result = answer.cert_check_result or declaration.cert_check_result
    declaration.sub_order_id = answer.sub_order_id or declaration.sub_order_id
    declaration.explanation = (answer.explanation or "")[:200] or None
    declaration.checked_at = utcnow()
    final = FINAL_AT_WECHAT.get(answer.state)
    if final is not None and declaration.state != final and DECLARATION_MACHINE.can(declaration, final):
        states.apply(DECLARATION_MACHINE, declaration, final, note=answer.state)


def check(charge_id: int) -> str:
    """Ask customs how each submitted declaration stands; RetryLater while any is pending.

    Once every declaration is decided, the charge's owner hears the outcome.
    """
    from app.payments.services import get_gateway, owner_of

    attempt, _ = _paid(charge_id)
    waiting = False
    for declaration in declarations_of(charge_id, lock=True):
        if declaration.state != DeclarationState.SUBMITTED:
            continue
        try:
            found = get_gateway().query_customs(customs=declaration.customs, out_trade_no=attempt.out_trade_no,
                                                sub_order_no=declaration.sub_order_no)
        except gw.GatewayError as e:
            raise jobs.RetryLater(f"customs query: {e}") from None
        for answer in found:
            if answer.sub_order_no in (None, declaration.sub_order_no):
                _record(declaration, answer)
        waiting = waiting or declaration.state == DeclarationState.SUBMITTED
    db.session.flush()
    if waiting:
        raise jobs.RetryLater("customs has not decided yet")
    charge = db.session.get(Charge, charge_id)
    handler = owner_of(charge).on_customs
    if handler is not None:
        handler(charge.owner_id, Outcome([(d.party_id, d.state, d.cert_check_result)
                                          for d in declarations_of(charge_id)]))
    return "decided"


def redeclare(declaration_id: int, *, actor_id: int, mch_customs_no: str | None = None,
              duty: int | None = None, transport_fee: int | None = None) -> Declaration:
    """Declare a failed sub-order again (a MODIFY: only the customs number, duty and fees change)."""
    from app.payments.jobs import send_declarations

    declaration = db.session.get(Declaration, declaration_id, with_for_update=True, populate_existing=True)
    if declaration.state != DeclarationState.FAILED:
        raise DomainError(_l("Only a declaration customs refused can be declared again."), code="not_failed",
                          status=409)
    if mch_customs_no:
        declaration.mch_customs_no = mch_customs_no[:20]
    if duty is not None:
        declaration.duty = duty
    if transport_fee is not None:
        declaration.transport_fee = transport_fee
    declaration.resend = True
    audit.record(declaration, "redeclare", actor_id=actor_id,
                 note=f"customs no {declaration.mch_customs_no}, duty {declaration.duty}, "
                      f"transport {declaration.transport_fee}")
    db.session.flush()
    jobs.after_commit(send_declarations, declaration.charge_id,
                      key=f"customs-send:{declaration.charge_id}:{declaration.id}:{declaration.declared_times + 1}")
    return declaration


def declarations_of(charge_id: int, *, lock: bool = False) -> list[Declaration]:
    stmt = select(Declaration).where(Declaration.charge_id == charge_id).order_by(Declaration.id)
    if lock:
        stmt = stmt.with_for_update().execution_options(populate_existing=True)
    return list(db.session.scalars(stmt))


def for_charges(charge_ids: list[int]) -> dict[int, list[Declaration]]:
    out: dict[int, list[Declaration]] = {}
    if charge_ids:
        for d in db.session.scalars(select(Declaration).where(Declaration.charge_id.in_(charge_ids))
                                    .order_by(Declaration.id)):
            out.setdefault(d.charge_id, []).append(d)
    return out

