"""Background work for buyer statements: building one (an after-commit task), and asking
for last month's statements every night (a periodic job)."""
from __future__ import annotations

from app.core.db import transactional
from app.core.jobs import job_context, task


def _build_failed(statement_id: int, error: Exception) -> None:
    from app.statements import statement_build

    statement_build.failed(statement_id)


# Its own transactions: each step commits, so the statement's page shows how far it is.
@task(timeout=900, retries=2, own_transactions=True, backoff=(30, 300), on_dead=_build_failed)
def build_statement(statement_id: int) -> str:
    """Build a statement's CSV and PDF from the ledger and store them (see statement_build)."""
    from app.statements import statement_build

    with job_context():
        return statement_build.build(statement_id)


def monthly_statements() -> int:
    """Ask for last month's statements of every company whose account moved in it.

    Run every night (Beijing time): on the 1st it asks for them; a night the workers
    missed is made up by the next run, and a company that has its statement is left alone.
    """
    from app.statements import statement_service

    with job_context():
        return transactional(statement_service.request_monthly)()
