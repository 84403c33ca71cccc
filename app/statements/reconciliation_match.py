"""Matching a bill's rows with our records: pure functions over what the bill says and what we
hold, no database and no WeChat, so that a day of a hundred thousand rows matches in one pass.

Payments are found by WeChat's transaction id, refunds by our out_refund_no (a refund is
billed on the day WeChat processed it, whichever day its payment was, so refunds are looked
up among all of ours, not the day's). Every row is matched, or becomes a finding with its
outcome; each row tied to one of our records also yields WeChat's fee for the ledger.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from app.core.money import round_half_up
from app.payments.gateway import BillRow
from app.statements.recon_models import Outcome

PAYMENT, REFUND = "payment", "refund"

# Our refund's state (RefundStatus values) that agrees with each refund state in a bill. A
# bill is a snapshot from the morning after: PROCESSING then agrees with what came later.
AGREES = {
    "SUCCESS": frozenset({"succeeded"}),
    "PROCESSING": frozenset({"processing", "succeeded", "failed"}),
    "REFUNDCLOSE": frozenset({"failed"}),
    "CHANGE": frozenset({"failed"}),
}


@dataclass(frozen=True, slots=True)
class OurPayment:
    transaction_id: str
    out_trade_no: str
    total_fee: int
    settlement_fee: int          # what settles: total less non-cash coupons
    order_id: int | None
    company_id: int | None
    paid_at: datetime | None


@dataclass(frozen=True, slots=True)
class OurRefund:
    id: int
    out_refund_no: str
    refund_id: str | None
    amount_fen: int
    status: str                  # RefundStatus value
    out_trade_no: str
    order_id: int | None
    company_id: int | None


@dataclass(slots=True)
class Finding:
    """A row that did not tie out (or one of ours the bill lacks), before it is stored."""

    kind: str
    key: str
    outcome: Outcome
    transaction_id: str | None = None
    out_trade_no: str | None = None
    out_refund_no: str | None = None
    order_id: int | None = None
    traded_at: datetime | None = None
    our_fen: int | None = None
    bill_fen: int | None = None
    our_state: str | None = None
    bill_state: str | None = None
    finding: str | None = None
    finding_detail: str | None = None
    repaired: bool = False
    fee_1e5_yuan: int = 0        # the row's fee, posted once the row is tied to our record


@dataclass(frozen=True, slots=True)
class Fee:
    """WeChat's fee on one trade, for the ledger: positive taken, negative given back."""

    kind: str                    # PAYMENT (key: transaction id) or REFUND (key: out_refund_no)
    key: str
    fee_fen: int
    order_id: int | None
    company_id: int | None
    at: datetime


@dataclass
class Matching:
    rows: Sequence[BillRow] = ()
    matched: int = 0
    findings: list[Finding] = field(default_factory=list)
    refunds_billed: dict[str, int] = field(default_factory=dict)   # ours found in the bill: number → fen
    unbilled: dict[str, OurPayment] = field(default_factory=dict)   # ours the bill lacks
    payments: Mapping[str, OurPayment] = field(default_factory=dict)
    refunds_tied: list[tuple[BillRow, OurRefund]] = field(default_factory=list)

    @property
    def payments_billed(self) -> set[str]:
        """The transaction ids of the bill's payments."""
        return {row.transaction_id for row in self.rows if row.trade_state == "SUCCESS"}

    def fees(self) -> list[Fee]:
        """WeChat's fee on each row tied to one of our records."""
        ours = self.payments
        return ([Fee(PAYMENT, row.transaction_id, fee_fen(row.fee_1e5_yuan), p.order_id, p.company_id, row.traded_at)
                 for row in self.rows if row.trade_state == "SUCCESS" and (p := ours.get(row.transaction_id))]
                + [Fee(REFUND, r.out_refund_no, fee_fen(row.fee_1e5_yuan), r.order_id, r.company_id, row.traded_at)
                   for row, r in self.refunds_tied])


def fee_fen(fee_1e5_yuan: int) -> int:
    """A bill's fee (in 0.00001 yuan) in fen: exact when, as WeChat rounds fees, it is whole fen."""
    whole, rest = divmod(fee_1e5_yuan, 1000)
    return whole if rest == 0 else round_half_up(Decimal(fee_1e5_yuan) / 1000)


def match(rows: Sequence[BillRow], payments: Mapping[str, OurPayment], refunds: Mapping[str, OurRefund]
          ) -> Matching:
    """Match every bill row with `payments` (by transaction id) and `refunds` (by out_refund_no).

    One pass, doing for a payment that ties out (nearly every row of a day) a lookup and
    two comparisons, and allocating nothing: each of ours the bill holds is taken out of a
    copy of `payments`, so what is left is ours the bill lacks.
    """
    out = Matching(rows=rows, payments=payments, unbilled=dict(payments))
    findings, take = out.findings, out.unbilled.pop
    for row in rows:
        state = row.trade_state
        if state == "SUCCESS":
            ours = take(row.transaction_id, None)
            if ours is None:
                ours = payments.get(row.transaction_id)   # a second row for one payment
                if ours is None:
                    findings.append(_payment_finding(row, Outcome.MISSING_HERE, None))
                    continue
            if row.total_fee != ours.total_fee or row.settlement_fee != ours.settlement_fee:
                findings.append(_payment_finding(row, Outcome.AMOUNT_MISMATCH, ours))
        elif state == "REFUND":
            finding = _refund(row, refunds.get(row.out_refund_no or ""), out)
            if finding is not None:
                findings.append(finding)
        else:
            findings.append(Finding(PAYMENT, row.transaction_id, Outcome.STATE_MISMATCH, row.transaction_id,
                                    row.out_trade_no, traded_at=row.traded_at, bill_fen=row.total_fee,
                                    our_state=_paid_state(payments.get(row.transaction_id)), bill_state=state[:20]))
    out.matched = len(rows) - len(findings)
    return out


def _paid_state(ours: OurPayment | None) -> str | None:
    return "paid" if ours is not None else None


def _payment_finding(row: BillRow, outcome: Outcome, ours: OurPayment | None) -> Finding:
    return Finding(PAYMENT, row.transaction_id, outcome, row.transaction_id, row.out_trade_no,
                   order_id=ours.order_id if ours else None, traded_at=row.traded_at,
                   our_fen=ours.total_fee if ours else None, bill_fen=row.total_fee,
                   our_state=_paid_state(ours), bill_state=row.trade_state, fee_1e5_yuan=row.fee_1e5_yuan)


def _refund(row: BillRow, ours: OurRefund | None, out: Matching) -> Finding | None:
    number = row.out_refund_no or row.refund_id or ""
    finding = Finding(REFUND, number, Outcome.MISSING_HERE, row.transaction_id, row.out_trade_no,
                      row.out_refund_no, traded_at=row.traded_at, bill_fen=row.refund_fee,
                      bill_state=(row.refund_status or "")[:20] or None, fee_1e5_yuan=row.fee_1e5_yuan)
    if ours is None:
        finding.finding = "unknown_here"
        return finding
    out.refunds_billed[ours.out_refund_no] = ours.amount_fen
    out.refunds_tied.append((row, ours))
    finding.order_id, finding.our_fen, finding.our_state = ours.order_id, ours.amount_fen, ours.status
    if row.refund_fee != ours.amount_fen:
        finding.outcome = Outcome.AMOUNT_MISMATCH
        return finding
    if ours.status in AGREES.get(row.refund_status or "", ()):
        return None
    finding.outcome = Outcome.STATE_MISMATCH
    return finding


def missing_remote_payments(unbilled: Iterable[OurPayment]) -> list[Finding]:
    """Our payments of the day that the bill does not hold (`Matching.unbilled`)."""
    return [Finding(PAYMENT, p.transaction_id, Outcome.MISSING_REMOTE, p.transaction_id, p.out_trade_no,
                    order_id=p.order_id, traded_at=p.paid_at, our_fen=p.total_fee, our_state="paid")
            for p in unbilled]


def missing_remote_refund(r: OurRefund) -> Finding:
    return Finding(REFUND, r.out_refund_no, Outcome.MISSING_REMOTE, None, r.out_trade_no, r.out_refund_no,
                   order_id=r.order_id, our_fen=r.amount_fen, our_state=r.status)
