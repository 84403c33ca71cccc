"""Periodic order work."""
from __future__ import annotations

from app.core.db import unit
from app.core.jobs import job_context


def complete_overdue() -> int:
    """Complete orders shipped ORDER_AUTO_COMPLETE_DAYS ago."""
    from app.orders import aftersale

    with job_context():
        with unit():
            return aftersale.complete_overdue()
