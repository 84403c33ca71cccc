"""Words for what happens after payment, as buyers and operators read them: refunds, customs
declarations, the identity check, the payment's state at WeChat Pay."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# A refund as people say it (the payments domain's "succeeded" is "refunded" to a buyer).
REFUND_LABELS = {"requested": _l("Requested"), "approved": _l("Approved"), "processing": _l("Being refunded"),
                 "refunded": _l("Refunded"), "rejected": _l("Rejected"), "failed": _l("Failed")}
REFUND_KEYS = {"succeeded": "refunded"}

# What a failed refund means for the buyer, in plain words, by WeChat's refund status.
FAILED_FOR_BUYER = {
    "CHANGE": _l("Your bank card was cancelled or frozen, so the money could not go back to it. "
                 "Our staff will contact you to pay it back another way."),
    "REFUNDCLOSE": _l("WeChat Pay closed this refund before the money went back. Our staff are looking "
                      "into it and will send it again or contact you."),
}
FAILED_OTHERWISE = _l("WeChat Pay could not make this refund. Our staff are looking into it and will "
                      "contact you.")

CUSTOMS_LABELS = {"pending": _l("Waiting to be declared"), "submitted": _l("With customs"),
                  "succeeded": _l("Cleared"), "failed": _l("Refused")}
CERT_LABELS = {"SAME": _l("Matches the payer"), "DIFFERENT": _l("Does not match the payer"),
               "UNCHECKED": _l("Not checked yet")}
PAYMENT_LABELS = {"open": _l("Not paid"), "paid": _l("Paid"), "closed": _l("Closed")}
REFUND_LABEL = {"partly_refunded": _l("Partly refunded"), "refunded": _l("Refunded")}


def refund_key(status: str) -> str:
    """The state a refund is shown in: requested, approved, processing, refunded, rejected, failed."""
    return REFUND_KEYS.get(status, status)


def words() -> dict[str, dict[str, str]]:
    """The labels above in the request's language, worked out once per language (templates
    show them on every row of a list)."""
    from app.core.i18n import translated

    return {"refund": translated(REFUND_LABELS), "customs": translated(CUSTOMS_LABELS),
            "cert": translated(CERT_LABELS), "payment": translated(PAYMENT_LABELS),
            "refund_label": translated(REFUND_LABEL)}
