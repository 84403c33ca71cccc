"""Words for an order's state and regime, shared by pages, the home panel and the CSV export."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l

STATE_LABELS = {"pending_payment": _l("Waiting for payment"), "paid": _l("Paid"), "closed": _l("Closed"),
                "shipped": _l("Shipped"), "completed": _l("Completed"), "refunded": _l("Refunded")}
REGIME_LABELS = {"retail": _l("Cross-border retail"), "general": _l("General trade")}
