"""Words for tickets' types, priorities, statuses and SLA targets, shared by pages, forms and exports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

TYPE_LABELS = {"complaint": _l("Complaint"), "inquiry": _l("Inquiry"), "suggestion": _l("Suggestion")}
PRIORITY_LABELS = {"low": _l("Low"), "normal": _l("Normal"), "high": _l("High"), "urgent": _l("Urgent")}
STATUS_LABELS = {"new": _l("New"), "open": _l("Open"), "pending_customer": _l("Waiting for the customer"),
                 "resolved": _l("Resolved"), "closed": _l("Closed")}
# What the buyer reads: "waiting for the customer" is "waiting for you" to them.
BUYER_STATUS_LABELS = {**STATUS_LABELS, "new": _l("Received"), "open": _l("Being handled"),
                       "pending_customer": _l("Waiting for your reply")}
TARGET_LABELS = {"first_response": _l("First response"), "next_response": _l("Next response"),
                 "resolution": _l("Resolution")}
WEEKDAYS = (_l("Monday"), _l("Tuesday"), _l("Wednesday"), _l("Thursday"), _l("Friday"), _l("Saturday"),
            _l("Sunday"))
ORDER_STATE_LABELS = {"pending_payment": _l("Waiting for payment"), "paid": _l("Paid"), "shipped": _l("Shipped"),
                      "completed": _l("Completed"), "closed": _l("Closed"), "refunded": _l("Refunded")}
REFUND_LABELS = {"requested": _l("Refund requested"), "approved": _l("Refund approved"),
                 "rejected": _l("Refund rejected"), "processing": _l("Refund on its way"),
                 "succeeded": _l("Refunded"), "failed": _l("Refund failed")}
