"""The words the settlement pages use for states and kinds of lines, in the reader's language."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

# Where a supplier's period stands (settlement_services.PeriodRow.state).
STATE_LABELS = {
    "open": _l("Not settled"),
    "confirmed": _l("Settled, to be paid"),
    "draft": _l("In a draft batch"),
    "approved": _l("In an approved batch"),
    "exported": _l("Bank file exported"),
    "paid": _l("Paid"),
    "carried": _l("Carried forward"),
}

BATCH_LABELS = {
    "draft": _l("Draft"),
    "approved": _l("Approved"),
    "exported": _l("Exported"),
    "paid": _l("Paid"),
    "cancelled": _l("Cancelled"),
}

KIND_LABELS = {
    "sale": _l("Sale"),
    "refund": _l("Refund"),
    "fee": _l("WeChat Pay fee"),
    "fee_returned": _l("Fee returned"),
}
