"""What the reconciliation pages read: runs newest first and a run's exceptions, each a page at
a time by keyset in one query, and the same lists for their CSV exports."""
from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select

from app.core import numbers
from app.extensions import db
from app.statements.recon_models import ExceptionStatus, ReconException, ReconRun

RUNS_PAGE = 31
EXCEPTIONS_PAGE = 50
EXPORT_LIMIT = 100_000
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def parse_day(raw: str | None) -> date | None:
    """A day as the pages write it (2026-01-31), or None when it is not one."""
    raw = (raw or "").strip()
    if not _DAY.fullmatch(raw):
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def cursor(raw: str | None) -> int | None:
    try:
        return numbers.parse_int(raw, 1) if raw else None
    except numbers.NumberError:
        return None   # a stale or tampered link: start from the first page


def runs_page(before: date | None) -> tuple[list[ReconRun], date | None]:
    """Up to RUNS_PAGE runs older than `before` (newest first), and the cursor of the next page."""
    stmt = select(ReconRun).order_by(ReconRun.bill_date.desc()).limit(RUNS_PAGE + 1)
    if before is not None:
        stmt = stmt.where(ReconRun.bill_date < before)
    runs = list(db.session.scalars(stmt))
    return runs[:RUNS_PAGE], (runs[RUNS_PAGE - 1].bill_date if len(runs) > RUNS_PAGE else None)


def all_runs() -> Iterator[ReconRun]:
    yield from db.session.scalars(select(ReconRun).order_by(ReconRun.bill_date.desc()).limit(EXPORT_LIMIT))


@dataclass(frozen=True)
class ExceptionFilter:
    status: ExceptionStatus | None = None      # None: every exception of the run
    after: int | None = None                   # keyset: exceptions after this id

    def args(self, **changes: object) -> dict[str, str]:
        values = {"status": self.status.value if self.status else "all", "after": self.after, **changes}
        return {k: str(v) for k, v in values.items() if v not in (None, "")}


def parse_filter(args: Mapping[str, str]) -> ExceptionFilter:
    """Open exceptions unless ?status= says otherwise ("all", "repaired", "resolved")."""
    raw = (args.get("status") or "open").strip()
    status = None if raw == "all" else next((s for s in ExceptionStatus if s.value == raw), ExceptionStatus.OPEN)
    return ExceptionFilter(status, cursor(args.get("after")))


def _exceptions(run_id: int, status: ExceptionStatus | None):
    stmt = select(ReconException).where(ReconException.run_id == run_id).order_by(ReconException.id)
    return stmt.where(ReconException.status == status) if status is not None else stmt


def exceptions_page(run_id: int, f: ExceptionFilter) -> tuple[list[ReconException], int | None]:
    """A page of the run's exceptions in `f`, and the cursor of the next page."""
    stmt = _exceptions(run_id, f.status).limit(EXCEPTIONS_PAGE + 1)
    if f.after is not None:
        stmt = stmt.where(ReconException.id > f.after)
    found = list(db.session.scalars(stmt))
    return found[:EXCEPTIONS_PAGE], (found[EXCEPTIONS_PAGE - 1].id if len(found) > EXCEPTIONS_PAGE else None)


def all_exceptions(run_id: int, status: ExceptionStatus | None) -> Iterator[ReconException]:
    yield from db.session.scalars(_exceptions(run_id, status).limit(EXPORT_LIMIT))
