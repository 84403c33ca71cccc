"""WeChat's callbacks: stored as received, then authenticated and applied.

The raw body is kept first, whatever follows. Processing runs in a savepoint: when it
refuses (a bad signature, another merchant, a mismatched amount, an order we do not
know yet) only the processing is undone, the stored callback says why, and WeChat is
answered FAIL (it retries); SUCCESS is answered only once the payment is recorded.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from app.core.models import utcnow
from app.extensions import db
from app.payments import gateway as gw
from app.payments.models import Callback


MAX_BODY = 64 * 1024  # WeChat's notifies are a few hundred bytes


@dataclass(frozen=True)
class Answer:
    ok: bool
    message: str

    def body(self) -> bytes:
        return gw.notify_reply_xml(self.ok, self.message)


def _store(kind: str, body: bytes, remote_addr: str | None) -> Callback:
    text = body[:MAX_BODY].decode("utf-8", errors="replace").replace("\x00", "\ufffd")
    callback = Callback(kind=kind, body=text, remote_addr=(remote_addr or "")[:45] or None, received_at=utcnow())
    db.session.add(callback)
    db.session.flush()
    return callback


def payment_notify(body: bytes, remote_addr: str | None) -> Answer:
    """Handle one payment notify; the answer tells WeChat whether to stop retrying."""
    from app.payments import services

    callback = _store("payment", body, remote_addr)
    if not body:
        return _refused(callback, "empty", "empty body")
    if len(body) > MAX_BODY:
        return _refused(callback, "too_large", f"{len(body)} bytes")
    notice = None
    try:
        with db.session.begin_nested():
            notice = services.get_gateway().parse_payment_notify(body)
            _link(callback, notice)
            if notice.result_code != "SUCCESS":
                callback.outcome = "not_paid"
                return Answer(True, "OK")  # a failed payment: nothing to record, stop the retries
            outcome = services.apply(services.Result.of_notice(notice), "notify")
    except gw.BadSignature as e:
        return _refused(callback, "bad_signature", str(e))
    except gw.BadReply as e:
        return _refused(callback, "bad_notify", str(e))
    except services.Mismatch as e:
        current_app.logger.error("payment notify %s: %s", callback.id, e)
        return _refused(callback, "mismatch", str(e.message), notice)
    except LookupError:
        # It can arrive before the commit that created the attempt: WeChat will retry.
        return _refused(callback, "unknown_order", "no attempt with this out_trade_no (yet)", notice)
    except Exception as e:  # never a 500: keep the callback, let WeChat retry
        current_app.logger.exception("payment notify %s failed", callback.id)
        return _refused(callback, "error", f"{type(e).__name__}: {e}"[:1000], notice)
    callback.outcome = outcome
    db.session.flush()
    return Answer(True, "OK")


def refund_notify(body: bytes, remote_addr: str | None) -> Answer:
    """Handle one refund notify (req_info decrypted with our key, then checked against the refund)."""
    from sqlalchemy import select

    from app.payments import refunds, services
    from app.payments.models import Payment, Refund

    callback = _store("refund", body, remote_addr)
    if not body or len(body) > MAX_BODY:
        return _refused(callback, "bad_notify", "empty or too large")
    notice = None
    try:
        with db.session.begin_nested():
            notice = services.get_gateway().parse_refund_notify(body)
            _link(callback, notice)
            refund = db.session.scalar(select(Refund).where(Refund.out_refund_no == notice.out_refund_no)
                                       .with_for_update())
            if refund is None:
                raise LookupError(notice.out_refund_no)
            payment = db.session.get(Payment, refund.payment_id)
            if (notice.refund_fee != refund.amount_fen or notice.transaction_id != payment.transaction_id
                    or notice.total_fee != payment.total_fee):
                raise services.Mismatch("the refund notify does not match our refund")
            refunds.settle(refund, notice.status, notice.succeeded_at, notice.recv_account)
            outcome = refund.status.value
    except (gw.BadSignature, gw.BadReply) as e:
        return _refused(callback, "bad_notify", str(e))
    except services.Mismatch as e:
        return _refused(callback, "mismatch", str(e), notice)
    except LookupError:
        return _refused(callback, "unknown_refund", "no refund with this out_refund_no", notice)
    except Exception as e:
        current_app.logger.exception("refund notify %s failed", callback.id)
        return _refused(callback, "error", f"{type(e).__name__}: {e}"[:1000], notice)
    callback.outcome = outcome
    db.session.flush()
    return Answer(True, "OK")


def _link(callback: Callback, notice) -> None:
    """Name the order a notify (signed, or decrypted with our key) is about."""
    callback.out_trade_no, callback.transaction_id = notice.out_trade_no[:32], notice.transaction_id[:32]


def _refused(callback: Callback, outcome: str, detail: str, notice=None) -> Answer:
    # A refusal undoes the processing's savepoint, the callback's link to its order with
    # it; an authenticated notice names its order again, so the order desk lists it.
    if notice is not None:
        _link(callback, notice)
    callback.outcome, callback.detail = outcome, detail[:2000]
    db.session.flush()
    return Answer(False, outcome)


def callbacks_for(out_trade_numbers: list[str]) -> list[Callback]:
    from sqlalchemy import select

    if not out_trade_numbers:
        return []
    return list(db.session.scalars(select(Callback).where(Callback.out_trade_no.in_(out_trade_numbers))
                                   .order_by(Callback.id)))
