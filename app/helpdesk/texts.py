"""Words for tickets' types, priorities, statuses and SLA targets, shared by pages, forms and exports."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import get_translations
from flask_babel import lazy_gettext as _l

CHINA = ZoneInfo("Asia/Shanghai")

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



def beijing(at: datetime, pattern: str = "%m-%d %H:%M") -> str:
    """A time in Beijing, as digits only (the same in both languages)."""
    return at.astimezone(CHINA).strftime(pattern)


@dataclass(frozen=True)
class Due:
    at: datetime
    text: str         # "in 35 minutes", "overdue by 3 hours"
    state: str        # "over", "soon" or ""
    when: str         # "12-08 11:52", Beijing time


class Timing:
    """Durations and due times in the reader's language for one page: the translations are
    looked up once, not on each row of each refresh (Babel's formatters cost ten times as much)."""

    def __init__(self, now: datetime, soon_seconds: int) -> None:
        self.now, self.soon = now, soon_seconds
        self._words = get_translations()

    def span(self, seconds: float) -> str:
        """A duration rounded to its largest unit: "35 minutes", "3 hours", "2 days"."""
        seconds, plural = abs(seconds), self._words.ungettext
        if seconds < 3600:
            n = max(1, round(seconds / 60))
            return plural("%(num)d minute", "%(num)d minutes", n) % {"num": n}
        if seconds < 2 * 86400:
            n = round(seconds / 3600)
            return plural("%(num)d hour", "%(num)d hours", n) % {"num": n}
        n = round(seconds / 86400)
        return plural("%(num)d day", "%(num)d days", n) % {"num": n}

    def due(self, at: datetime | None) -> Due | None:
        if at is None:
            return None
        left = (at - self.now).total_seconds()
        if left <= 0:
            return Due(at, self._words.ugettext("overdue by %(time)s") % {"time": self.span(left)}, "over", beijing(at))
        text = self._words.ugettext("in %(time)s") % {"time": self.span(left)}
        return Due(at, text, "soon" if left < self.soon else "", beijing(at))

    def ago(self, at: datetime) -> str:
        return self.span((self.now - at).total_seconds())
