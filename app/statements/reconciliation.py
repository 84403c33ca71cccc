"""The daily reconciliation with WeChat Pay's bill: one run per Beijing day.

A run downloads the day's ALL bill through the gateway, matches every row with our payments
and refunds (reconciliation_match), asks WeChat about what did not tie out and records what
it confirms (reconciliation_repair), keeps the rest as exceptions for a person
(reconciliation_store), posts WeChat's fee on each of our trades to the ledger, and stores
its counts with both sides' totals. Running a day again changes nothing that did not change:
exceptions are kept per row, fees are posted once per trade, the bill is stored once.

WeChat's fee per trade (supplier settlement splits them by these keys and kinds):
    wechat-fee:<transaction_id>          kind wechat_fee          Dr WECHAT_FEES  Cr CLEARING
    wechat-fee-refund:<out_refund_no>    kind wechat_fee_refund   Dr CLEARING     Cr WECHAT_FEES  (fee given back)
each with the order and company of the charge's owner, dated when the trade was.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app import ledger
from app.core import files, jobs, states
from app.core.errors import DomainError
from app.core.models import utcnow
from app.extensions import db
from app.payments import gateway as gw
from app.payments import services as pay
from app.statements import reconciliation_match as matching
from app.statements import reconciliation_records as records
from app.statements import reconciliation_repair as repairs
from app.statements import reconciliation_store as kept
from app.statements.recon_models import RUN_MACHINE, Outcome, ReconRun, RunStatus

# WeChat keeps bills for three months, and a day's bill exists from 09:00 the next day.
KEPT_DAYS = 92
FEE_KIND, FEE_REFUND_KIND = "wechat_fee", "wechat_fee_refund"


class BillNotReady(jobs.RetryLater):
    """WeChat is still making the day's bill ("Bill Creating"): try again later."""


def today() -> date:
    """The Beijing calendar day now: bills are per Beijing day."""
    return utcnow().astimezone(gw.BEIJING).date()


def check_day(day: date) -> None:
    """Refuse a day WeChat has no bill for: today or later, or older than three months."""
    now = today()
    if day >= now:
        raise DomainError(_l("A day's bill exists from 09:00 the next day: choose a day before today."), "day")
    if day < now - timedelta(days=KEPT_DAYS):
        raise DomainError(_l("WeChat Pay keeps bills for three months: choose a day since %(first)s.",
                             first=(now - timedelta(days=KEPT_DAYS)).isoformat()), "day")


def _run_for(day: date) -> ReconRun:
    """The day's run, made if need be, locked for this transaction."""
    jobs.insert_once(ReconRun, {"bill_date": day, "status": RunStatus.QUEUED, "requests": 0, "runs": 0,
                                "created_at": utcnow(), "updated_at": utcnow()}, "bill_date")
    return db.session.scalar(select(ReconRun).where(ReconRun.bill_date == day).with_for_update()
                             .execution_options(populate_existing=True))


def _queue(run: ReconRun, actor_id: int | None) -> None:
    if run.status != RunStatus.QUEUED:
        states.apply(RUN_MACHINE, run, RunStatus.QUEUED, actor_id=actor_id)
    run.requests += 1
    run.requested_by_id = actor_id
    run.error = None


def request(day: date, *, actor_id: int | None) -> ReconRun:
    """Ask for `day` to be reconciled by the worker (again, if it was before); a run already
    waiting is left to finish. Raises DomainError for a day WeChat has no bill for."""
    from app.statements.reconciliation_jobs import run_day

    check_day(day)
    run = _run_for(day)
    if run.status == RunStatus.QUEUED and run.requests:
        return run
    _queue(run, actor_id)
    jobs.after_commit(run_day, day.isoformat(), key=f"reconciliation:{day.isoformat()}:{run.requests}")
    db.session.flush()
    return run


def download(day: date) -> gw.Bill | None:
    """The day's ALL bill from WeChat Pay; None when WeChat has none ("No Bill Exist": no trade
    that day). Raises BillNotReady while WeChat is still making it, GatewayError otherwise."""
    try:
        return pay.get_gateway().download_bill(day, gw.BillType.ALL)
    except gw.NoBill as e:
        if e.code != "20002":
            raise BillNotReady(f"the bill of {day.isoformat()} is not ready: {e.message or e.code}") from None
        return None


def reconcile(day: date, *, actor_id: int | None = None, repair: bool = True,
              source: Callable[[date], gw.Bill | None] = download) -> ReconRun:
    """Reconcile `day` now and return its run, done (or failed, with WeChat's reason).

    `source` gives the day's bill (the demo data passes its own); `repair=False` leaves the
    findings unqueried. Raises DomainError for a day WeChat has no bill for, BillNotReady
    while WeChat is still making it, and GatewayUnavailable when WeChat does not answer
    (the job tries again).
    """
    check_day(day)
    run = _run_for(day)
    if run.status != RunStatus.QUEUED or not run.requests:
        _queue(run, actor_id)
    try:
        bill = source(day)
    except (gw.GatewayRejected, gw.BadReply, gw.BadSignature, gw.GatewayMisconfigured) as e:
        return fail(run, f"{type(e).__name__}: {e}")
    rows = bill.rows if bill is not None else []   # "No Bill Exist": no trade that day at WeChat
    if bill is not None and bill.text:
        _keep_bill(run, bill)
    ours = records.payments_of_day(day)
    billed = {r.transaction_id for r in rows if r.trade_state == "SUCCESS"}
    payments = {**records.payments_by_id(billed - ours.keys()), **ours}
    refunds = records.refunds_by_number(r.out_refund_no for r in rows if r.out_refund_no)
    result = matching.match(rows, payments, refunds)
    findings = result.findings + matching.missing_remote_payments(result.unbilled.values())
    missing_refunds = [matching.missing_remote_refund(r) for r in records.refunds_accepted_on(day)
                       if r.out_refund_no not in result.refunds_billed]
    if repair:
        wanted = {f.out_trade_no for f in findings if f.outcome == Outcome.MISSING_HERE and f.kind == "payment"}
        repairs.repair(findings, records.attempts_by_number(wanted), {n: r.id for n, r in refunds.items()})
        missing_refunds = [f for f in missing_refunds if not repairs.refund_known_at_wechat(f)]
    return _finish(run, bill, result, findings + missing_refunds, ours)


def _keep_bill(run: ReconRun, bill: gw.Bill) -> None:
    data = bill.text.encode("utf-8")
    if run.bill_key and run.bill_sha256 == hashlib.sha256(data).hexdigest():
        return
    stored = files.store("bills", data, suffix=".csv")
    run.bill_key, run.bill_sha256, run.bill_size = stored.key, stored.sha256, stored.size


def _finish(run: ReconRun, bill: gw.Bill | None, result: matching.Matching, findings: list[matching.Finding],
            ours: dict) -> ReconRun:
    repaired = [f for f in findings if f.repaired and f.kind == "payment"]
    fees = result.fees() + [_repaired_fee(f) for f in repaired]
    post_fees(fees)
    kept.store(run, findings)
    kept.settle_elsewhere(run, result.payments_billed, result.refunds_billed)
    if repaired:
        ours = records.payments_of_day(run.bill_date)
    summary = bill.summary if bill is not None else None
    run.no_bill = bill is None
    run.rows = len(result.rows)
    run.bill_count = summary.count if summary else 0
    run.bill_paid_fen = summary.settlement_total if summary else 0
    run.bill_refund_fen = (summary.refund_total or 0) if summary else 0
    run.bill_fee_1e5_yuan = summary.fee_total_1e5_yuan if summary else 0
    remote_refunds = [f for f in findings if f.kind == "refund" and f.outcome == Outcome.MISSING_REMOTE]
    run.our_count = len(ours) + len(result.refunds_billed) + len(remote_refunds)
    run.our_paid_fen = sum(p.settlement_fee for p in ours.values())
    run.our_refund_fen = sum(result.refunds_billed.values()) + sum(f.our_fen or 0 for f in remote_refunds)
    run.our_fee_fen = sum(fee.fee_fen for fee in fees)
    kept.count(run)
    run.runs += 1
    states.apply(RUN_MACHINE, run, RunStatus.DONE)
    db.session.flush()
    return run


def _repaired_fee(f: matching.Finding) -> matching.Fee:
    ours = records.payments_by_id([f.transaction_id])[f.transaction_id]
    return matching.Fee(matching.PAYMENT, f.key, matching.fee_fen(f.fee_1e5_yuan), ours.order_id, ours.company_id,
                        f.traded_at)


def post_fees(fees: list[matching.Fee]) -> int:
    """Book WeChat's fee on each trade, once per trade (the keys in this module's docstring)."""
    entries = []
    for fee in fees:
        if not fee.fee_fen:
            continue
        prefix, kind = (("wechat-fee", FEE_KIND) if fee.kind == matching.PAYMENT
                        else ("wechat-fee-refund", FEE_REFUND_KIND))
        entries.append(ledger.Entry(
            f"{prefix}:{fee.key}", kind,
            [ledger.Line(ledger.WECHAT_FEES, fee.fee_fen), ledger.Line(ledger.CLEARING, -fee.fee_fen)],
            memo=f"WeChat Pay fee, {fee.kind} {fee.key}", order_id=fee.order_id, company_id=fee.company_id,
            at=fee.at))
    return ledger.post_many(entries)


def fail(run: ReconRun, error: str) -> ReconRun:
    """The day could not be reconciled (WeChat refused or garbled the bill): say why."""
    run.error = error[:500]
    if run.status == RunStatus.QUEUED:
        states.apply(RUN_MACHINE, run, RunStatus.FAILED, note=run.error)
    db.session.flush()
    return run


def failed_for_good(day_iso: str, error: Exception) -> None:
    """The worker gave up on a day (WeChat did not answer through every retry)."""
    run = _run_for(date.fromisoformat(day_iso))
    fail(run, f"{type(error).__name__}: {error}")
