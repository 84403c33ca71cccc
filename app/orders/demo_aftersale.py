"""Demo orders after payment, so that the buyer's order pages, the order desk and its
exceptions list show something after `make run`: a refund waiting for a decision, one
partly refunded and shipped, one rejected, one delivered, one whose identity customs
refused, and refunds WeChat Pay failed (the card cancelled: CHANGE; closed: REFUNDCLOSE).

They are paid through the one apply function a notify uses (there is no simulator during
seeding), then moved on through the services; only what WeChat Pay and customs would
have answered is written as their answer. Nothing reaches WeChat Pay afterwards: each
refund and declaration is past the state its job would act on.
"""
from __future__ import annotations

from sqlalchemy import select

from app.core import states
from app.core.models import utcnow
from app.extensions import db
from app.orders import aftersale, services
from app.orders.models import Order
from app.payments import refunds as money_back
from app.payments import services as pay
from app.payments.gateway import RefundState, TradeType
from app.payments.models import DECLARATION_MACHINE, REFUND_MACHINE, Attempt, DeclarationState, RefundStatus

CASES = ("requested", "shipped_partly_refunded", "completed", "identity_refused", "refund_change",
         "refund_closed", "rejected")


def _offers() -> list[int]:
    """Two cross-border retail offers of different suppliers, bought one at a time."""
    from app.catalog import Regime
    from app.catalog.models import Offer

    offers = db.session.scalars(select(Offer).where(Offer.active.is_(True), Offer.moq == 1, Offer.order_increment == 1,
                                                    Offer.regime == Regime.RETAIL).order_by(Offer.id))
    chosen: dict[int, int] = {}
    for offer in offers:
        chosen.setdefault(offer.supplier_id, offer.id)
        if len(chosen) == 2:
            break
    return list(chosen.values())


def _pay(order: Order) -> None:
    charge = services.charge_of(order)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}N1", trade_type=TradeType.NATIVE,
                      prepay_id=f"wx{order.id:030d}"[:64], code_url=f"weixin://wxpay/bizpayurl?pr=demo{order.id}")
    db.session.add(attempt)
    db.session.flush()
    pay.apply(pay.Result(out_trade_no=attempt.out_trade_no, transaction_id=f"42000000012026{order.id:014d}",
                         total_fee=charge.amount_fen, cash_fee=charge.amount_fen, coupon_fee=0,
                         settlement_total_fee=None, fee_type="CNY", trade_type="NATIVE", bank_type="CMB_DEBIT",
                         openid="o-demo-payer", paid_at=None, raw={"demo": "seeded"}), "notify")


def _customs_answers(order: Order, cert: str, explanation: str | None = None) -> None:
    final = DeclarationState.SUCCEEDED if cert == "SAME" else DeclarationState.FAILED
    for declaration in aftersale.declarations(order):
        states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUBMITTED, note="SUBMITTED")
        declaration.declared_times, declaration.cert_check_result = 1, cert
        declaration.wechat_state, declaration.explanation = ("SUCCESS" if cert == "SAME" else "FAIL"), explanation
        declaration.checked_at = utcnow()
        states.apply(DECLARATION_MACHINE, declaration, final, note=declaration.wechat_state)


def _refund(order: Order, staff_id: int, amount_fen: int | None, reason: str, answer: RefundState | None):
    refund = aftersale.request_refund(order, reason=reason, requested_by_id=order.buyer_id, amount_fen=amount_fen)
    if answer is None:
        return refund
    aftersale.decide(order, refund.id, approve=True, actor_id=staff_id, note="核实无误")
    refund.refund_id = f"503000000120261{refund.id:014d}"
    states.apply(REFUND_MACHINE, refund, RefundStatus.PROCESSING)
    money_back.settle(refund, answer, utcnow(), "支付用户零钱" if answer == RefundState.SUCCESS else None)
    return refund


def seed(buyer, staff_id: int) -> int:
    """The demo cases for `buyer` (once each: a case already made is left as it is)."""
    offers = _offers()
    if not offers:
        return 0
    made = 0
    for case in CASES:
        placed = services.place(buyer, buyer.company_id, [(offers[0], 1)] + [(o, 1) for o in offers[1:2]],
                                idempotency_key=f"demo-aftersale-{case}")
        if not placed.created:
            continue
        order, made = placed.order, made + 1
        _pay(order)
        _customs_answers(order, "DIFFERENT" if case == "identity_refused" else "SAME",
                         "订购人身份信息与支付人不一致" if case == "identity_refused" else None)
        half = order.total_fen // 2
        if case == "requested":
            _refund(order, staff_id, half, "外箱破损，退一半货款", None)
        elif case in ("shipped_partly_refunded", "completed"):
            aftersale.ship(order, [line.id for line in order.lines], carrier="顺丰速运",
                           tracking_no=f"SF14{order.id:010d}", actor_id=staff_id)
            if case == "completed":
                aftersale.deliver(order, [line.id for line in order.lines], actor_id=staff_id)
            else:
                _refund(order, staff_id, order.lines[0].landed_fen // 2, "少发一件", RefundState.SUCCESS)
        elif case in ("refund_change", "refund_closed"):
            _refund(order, staff_id, None, "不想要了",
                    RefundState.CHANGE if case == "refund_change" else RefundState.REFUNDCLOSE)
        elif case == "rejected":
            refund = _refund(order, staff_id, half, "价格比别家贵", None)
            aftersale.decide(order, refund.id, approve=False, actor_id=staff_id,
                             note="订单按下单时的价格结算，价格差异不在退款范围内")
    db.session.flush()
    return made
