"""Demo data for the settlement pages: three months of paid orders from a few suppliers,
with WeChat's fee per trade booked as reconciliation books it; the oldest month settled and
paid, the next settled and in an approved batch, the last month open.

The orders are bought by the second demo company and paid through the payments domain's
own apply function, as WeChat's notify would be; they are general-trade orders, which
need no customs declaration, so nothing is sent to WeChat for them later. The seeding is
safe to run again: it does nothing once a settlement exists.
"""
from __future__ import annotations

from datetime import datetime, time, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from app import ledger
from app.core.money import round_half_up
from app.extensions import db
from app.statements.settlement import CHINA, Period
from app.statements.settlement_models import Settlement, SupplierBankAccount

WECHAT_RATE = Decimal("0.006")      # WeChat Pay's usual fee for a merchant: 0.6 % of each trade
BANKS = ["MUFG Bank, Tokyo", "Deutsche Bank AG, Berlin", "BNP Paribas, Paris", "Bank of America, New York",
         "Shinhan Bank, Seoul", "Commonwealth Bank, Sydney"]
# (day of the month, hour, [supplier index, ...]) of each month's orders: one order shared by two suppliers.
ORDERS = [(3, 10, [0]), (9, 15, [1]), (16, 11, [0, 2]), (24, 20, [2])]


def _general_offers() -> dict[int, object]:
    """One general-trade offer per supplier that can be bought at its minimum quantity."""
    from app.catalog.models import Offer

    found: dict[int, object] = {}
    for offer in db.session.scalars(select(Offer).where(Offer.regime == "general", Offer.active.is_(True),
                                                        Offer.stock >= Offer.moq).order_by(Offer.id)):
        found.setdefault(offer.supplier_id, offer)
    return found


def _bank_details(supplier_ids: list[int]) -> None:
    from app.statements.payouts import save_bank_account

    have = set(db.session.scalars(select(SupplierBankAccount.supplier_id)))
    from app.catalog.models import Supplier

    for n, supplier in enumerate(db.session.scalars(select(Supplier).where(Supplier.id.in_(supplier_ids))
                                                   .order_by(Supplier.id))):
        if supplier.id not in have:
            save_bank_account(supplier.id, account_name=supplier.name, bank_name=BANKS[n % len(BANKS)],
                              account_number=f"62{supplier.id:04d}{supplier.id * 104729 % 10 ** 8:08d}",
                              swift_bic=["BOTKJPJT", "DEUTDEFF", "BNPAFRPP", "BOFAUS3N", "SHBKKRSE", "CTBAAU2S"][n % 6],
                              actor_id=None)


def _pay(order, when: datetime) -> None:
    """Record the order's payment as a WeChat notify would, and WeChat's fee for it."""
    from app import payments
    from app.payments.models import Attempt
    from app.payments.services import Result, apply

    charge = payments.charge_for("order", order.id)
    attempt = Attempt(charge_id=charge.id, out_trade_no=f"{charge.number}D1", trade_type=payments.TradeType.NATIVE)
    db.session.add(attempt)
    db.session.flush()
    transaction_id = f"4200000{when:%Y%m%d}{order.id:013d}"
    apply(Result(attempt.out_trade_no, transaction_id, charge.amount_fen, charge.amount_fen, 0, None, "CNY", "NATIVE",
                 "CMB_DEBIT", "o-demo-settlement", when, {}), "demo")
    fee = round_half_up(Decimal(charge.amount_fen) * WECHAT_RATE)
    ledger.post(f"wechat-fee:{transaction_id}", "wechat_fee",
                [ledger.Line(ledger.WECHAT_FEES, fee), ledger.Line(ledger.CLEARING, -fee)],
                memo=f"WeChat Pay fee {transaction_id}", order_id=order.id, company_id=order.company_id, at=when)


def _month_of_orders(period: Period, buyer, company_id: int, offers: list) -> int:
    from app.orders import services

    made = 0
    for n, (day, hour, picks) in enumerate(ORDERS, start=1):
        when = datetime.combine(period.first + timedelta(days=day - 1), time(hour, 17), CHINA)
        lines = [(offers[i].id, offers[i].moq) for i in picks if i < len(offers)]
        order = services.create(buyer, company_id, lines, idempotency_key=f"demo-settlement-{period.key}-{n}", now=when)
        _pay(order, when)
        made += 1
    return made


def seed_demo() -> str:
    from app import accounts
    from app.statements import payouts

    if db.session.scalar(select(func.count(Settlement.id))):
        return "settlements present; left unchanged"
    buyers = accounts.members_who_buy()
    offers = list(_general_offers().values())[:3]
    if not buyers or len(offers) < 2:
        return "no buyer or general-trade offers to make settlement demo data from"
    buyer, company_id = buyers[-1]
    from app import catalog

    last = Period.month_before(catalog.today())
    middle = Period.month_before(last.first)
    oldest = Period.month_before(middle.first)
    made = sum(_month_of_orders(p, buyer, company_id, offers) for p in (oldest, middle, last))
    _bank_details([o.supplier_id for o in offers])
    suppliers = [o.supplier_id for o in offers]
    paid = payouts.create_batch(suppliers, oldest, actor_id=None).batch
    payouts.approve(paid.id, actor_id=None)
    payouts.export(paid.id, actor_id=None)
    payouts.mark_paid(paid.id, f"CMB{middle.first:%Y%m}05000123", actor_id=None)
    waiting = payouts.create_batch(suppliers, middle, actor_id=None).batch
    payouts.approve(waiting.id, actor_id=None)
    # Each settlement's statement files are made by the job its confirmation promised.
    return f"{made} paid orders over 3 months, 2 payout batches"
