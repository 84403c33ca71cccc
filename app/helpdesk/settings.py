"""Helpdesk settings (`HELPDESK_*`) from the environment; `app.config.load` merges them."""
from __future__ import annotations

from collections.abc import Mapping

from app.config import env_int


def load() -> dict[str, object]:
    return {
        # Each attachment at most this many bytes, and this many files a message (the
        # request as a whole stays under MAX_CONTENT_LENGTH).
        "HELPDESK_ATTACHMENT_MAX_BYTES": env_int("HELPDESK_ATTACHMENT_MAX_BYTES", 5 * 1024 * 1024),
        "HELPDESK_ATTACHMENTS_PER_MESSAGE": env_int("HELPDESK_ATTACHMENTS_PER_MESSAGE", 3),
        # The assignee gets an SMS this long before a target's due time.
        "HELPDESK_SLA_WARN_MINUTES": env_int("HELPDESK_SLA_WARN_MINUTES", 30),
        # The queue's "breaching soon": overdue, or due within this many minutes.
        "HELPDESK_SLA_SOON_MINUTES": env_int("HELPDESK_SLA_SOON_MINUTES", 60),
        # A resolved ticket the customer leaves alone closes after this many days.
        "HELPDESK_AUTO_CLOSE_DAYS": env_int("HELPDESK_AUTO_CLOSE_DAYS", 7),
        # How often open pages look for new messages (seconds).
        "HELPDESK_POLL_SECONDS": env_int("HELPDESK_POLL_SECONDS", 5),
    }


def problems(cfg: Mapping[str, object]) -> list[str]:
    found = []
    for name in ("HELPDESK_ATTACHMENT_MAX_BYTES", "HELPDESK_ATTACHMENTS_PER_MESSAGE", "HELPDESK_POLL_SECONDS"):
        if int(cfg.get(name, 1)) < 1:  # type: ignore[call-overload]
            found.append(f"{name} must be at least 1")
    return found
