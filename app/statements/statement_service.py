"""Asking for buyer statements: on demand for any range of Beijing days, and monthly for
every company whose account moved (or held a balance) in the month before; listing them.

A statement is a row in `requested`, and the promise (an intent written in the same
transaction) that a job builds it; the job itself is in statement_build.py.
"""
from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from app.core import jobs
from app.core import files
from app.core.errors import Conflict, DomainError, NotFound
from app.core.models import utcnow
from app.extensions import db
from app.statements.statement_models import Statement, StatementStatus
from app.statements.statements import CHINA, Period, active_companies

EARLIEST = date(2000, 1, 1)
MAX_DAYS = 366            # one statement covers at most a year (a leap year's too)
MAX_WAITING = 5           # statements of one company waiting for a worker at once
PAGE_SIZE = 20


def today() -> date:
    """Today in Beijing, where the statements' days are counted."""
    return datetime.now(CHINA).date()


def check_period(start: date, end: date, *, now: date | None = None) -> Period:
    """The period of an on-demand statement; DomainError naming the field when it cannot be one."""
    now = now or today()
    if start < EARLIEST:
        raise DomainError(_l("Choose a start date from %(day)s on.", day=EARLIEST.isoformat()), "start")
    if end > now:
        raise DomainError(_l("Choose an end date no later than today (%(day)s).", day=now.isoformat()), "end")
    if end < start:
        raise DomainError(_l("The end date is before the start date."), "end")
    period = Period(start, end)
    if period.days > MAX_DAYS:
        raise DomainError(_l("A statement covers at most %(days)d days: ask for one per year.", days=MAX_DAYS),
                          "end")
    return period


def _promise(statement: Statement) -> None:
    from app.statements.statement_jobs import build_statement

    jobs.after_commit(build_statement, statement.id, key=f"statement:{statement.id}")


def request(company_id: int, start: date, end: date, *, user: Any | None = None) -> Statement:
    """Ask for the company's statement of `start`..`end` (Beijing days, both included),
    built after the commit in the language of `user`, who asked (Chinese without one).

    The same range asked for again while its statement is still being made is that
    statement (a double click makes one). Raises DomainError for a range that cannot be
    a statement and when the company has MAX_WAITING statements waiting already.
    """
    from app.accounts.models import Company

    period = check_period(start, end)
    # One request of a company at a time: two clicks that race both see the other's statement.
    db.session.scalar(select(Company.id).where(Company.id == company_id).with_for_update())
    waiting = list(db.session.scalars(select(Statement).where(
        Statement.company_id == company_id,
        Statement.status.in_([StatementStatus.REQUESTED, StatementStatus.BUILDING]))))
    for found in waiting:
        if (found.period_start, found.period_end, found.month) == (period.start, period.end, None):
            return found
    if len(waiting) >= MAX_WAITING:
        raise DomainError(_l("%(n)d statements are being made for your company. Ask for another once they are ready.",
                             n=len(waiting)), "start", code="too_many_waiting", status=429)
    statement = Statement(company_id=company_id, period_start=period.start, period_end=period.end,
                          language="en" if user is not None and (user.language or "").startswith("en") else "zh_CN",
                          requested_by_id=user.id if user is not None else None)
    db.session.add(statement)
    db.session.flush()
    _promise(statement)
    return statement


def _insert_monthly(company_id: int, period: Period) -> int | None:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    now = utcnow()
    stmt = (insert(Statement).values(company_id=company_id, month=period.start, period_start=period.start,
                                     period_end=period.end, language="zh_CN", status=StatementStatus.REQUESTED,
                                     created_at=now, updated_at=now)
            .on_conflict_do_nothing(index_elements=["company_id", "month"]).returning(Statement.id))
    return db.session.execute(stmt).scalar()


def request_monthly(day: date | None = None) -> int:
    """Ask for the monthly statements of the month before `day` (default: today in Beijing)
    for every company whose account moved in that month or began it with a balance; a
    company that has that month's statement already is left alone. Returns how many."""
    period = Period.month_of((day or today()).replace(day=1) - timedelta(days=1))
    made = 0
    for company_id in active_companies(period):
        statement_id = _insert_monthly(company_id, period)
        if statement_id is not None:
            _promise(db.session.get(Statement, statement_id))
            made += 1
    return made


def get(statement_id: int, company_id: int) -> Statement:
    """One statement of the company; NotFound for any other (another company's is not found either)."""
    found = db.session.scalar(select(Statement).where(Statement.id == statement_id,
                                                      Statement.company_id == company_id))
    if found is None:
        raise NotFound(_l("There is no such statement."), "statement_id")
    return found


def page(company_id: int, *, before: int | None = None, limit: int = PAGE_SIZE) -> tuple[list[Statement], int | None]:
    """Up to `limit` statements of the company, newest first (one query), and the id to
    continue before (None on the last page)."""
    stmt = select(Statement).where(Statement.company_id == company_id)
    if before:
        stmt = stmt.where(Statement.id < before)
    found = list(db.session.scalars(stmt.order_by(Statement.id.desc()).limit(limit + 1)))
    return found[:limit], (found[limit - 1].id if len(found) > limit else None)


MIMETYPES = {"pdf": "application/pdf", "csv": "text/csv; charset=utf-8"}


def download(statement: Statement, kind: str):
    """The response sending a ready statement's stored PDF or CSV ("pdf", "csv"), once its
    bytes are proven to be those stored (SHA-256). Raises Conflict while it is not ready and
    NotFound when its file is gone or was altered."""
    if statement.status != StatementStatus.READY:
        raise Conflict(_l("This statement is not ready yet: its files are still being made."), code="not_ready")
    try:
        return files.send(getattr(statement, f"{kind}_key"), download_name=statement.file_name(kind),
                          mimetype=MIMETYPES[kind], sha256=getattr(statement, f"{kind}_sha256"))
    except files.FileMissing:
        raise NotFound(_l("This statement's file is no longer as it was made. Ask for the statement again."),
                       code="file_missing") from None
