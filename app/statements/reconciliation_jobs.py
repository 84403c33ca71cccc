"""Reconciliation in the background and from the command line: the worker's task for one day,
the morning job that asks for yesterday (and any recent day left undone), and
`flask --app wsgi reconcile YYYYMMDD`."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import click

from app.core.db import unit
from app.core.jobs import job_context, task
from app.extensions import db
from app.statements.recon_models import ReconRun, RunStatus

# The morning job also asks for any of this many recent days with no finished run (the
# scheduler was down, WeChat failed every retry), so a missed morning catches up by itself.
CATCH_UP_DAYS = 7


def _dead(day_iso: str, error: Exception) -> None:
    from app.statements import reconciliation

    reconciliation.failed_for_good(day_iso, error)


# WeChat not answering, or the bill still being made: tried again for about a day.
@task(timeout=3600, retries=12, backoff=(300, 600, 1800, 3600, 7200), on_dead=_dead)
def run_day(day_iso: str) -> str:
    """Reconcile one day (the intent's transaction is the run's)."""
    from app.statements import reconciliation

    with job_context():
        return reconciliation.reconcile(date.fromisoformat(day_iso)).status.value


def reconcile_recent_days() -> int:
    """After 10:00 Beijing time: ask for yesterday's bill, and any recent day not done yet."""
    from app.statements import reconciliation

    with job_context():
        with unit():
            yesterday = reconciliation.today() - timedelta(days=1)
            days = [yesterday - timedelta(days=n) for n in range(CATCH_UP_DAYS)]
            done = set(db.session.scalars(db.select(ReconRun.bill_date).where(
                ReconRun.bill_date.in_(days), ReconRun.status.in_([RunStatus.DONE, RunStatus.QUEUED]))))
            asked = [day for day in days if day not in done]
            for day in asked:
                reconciliation.request(day, actor_id=None)
            return len(asked)


def _day(value: str) -> date:
    try:
        if len(value) != 8 or not value.isdigit():
            raise ValueError
        return datetime.strptime(value, "%Y%m%d").date()
    except ValueError:
        raise click.BadParameter("give the bill day as YYYYMMDD, such as 20260131") from None


def summary(run: ReconRun) -> str:
    """The run's counts in one line, as the command prints them."""
    from app.core.money import format_money

    if run.status == RunStatus.FAILED:
        return f"{run.bill_date:%Y-%m-%d}: failed: {run.error}"
    head = f"{run.bill_date:%Y-%m-%d}: " + ("no bill (no trades that day); " if run.no_bill else "")
    return (head + f"{run.rows} rows: {run.matched} matched, {run.missing_here} missing here "
            f"({run.repaired} repaired), {run.missing_remote} missing at WeChat, {run.amount_mismatch} amount "
            f"mismatches, {run.state_mismatch} state mismatches; {run.open_exceptions} open. "
            f"Paid {format_money(run.our_paid_fen)} (bill {format_money(run.bill_paid_fen)}), refunded "
            f"{format_money(run.our_refund_fen)} (bill {format_money(run.bill_refund_fen)}), fees "
            f"{format_money(run.our_fee_fen)} (bill {format_money(run.bill_fee_fen)}).")


def init_cli(app) -> None:
    @app.cli.command("reconcile")
    @click.argument("day", metavar="YYYYMMDD")
    def reconcile_command(day: str) -> None:
        """Reconcile one day's WeChat Pay bill now and print the run's counts."""
        from app.core.errors import DomainError
        from app.payments.gateway import GatewayUnavailable
        from app.statements import reconciliation

        bill_day = _day(day)
        try:
            with unit():   # a failed run is kept too: it says why
                run = reconciliation.reconcile(bill_day)
                line, failed = summary(run), run.status == RunStatus.FAILED
        except DomainError as e:
            raise click.ClickException(str(e.message)) from None
        except reconciliation.BillNotReady:
            raise click.ClickException("WeChat Pay is still making that day's bill: try again after 09:00.") from None
        except GatewayUnavailable as e:
            raise click.ClickException(f"WeChat Pay is not answering ({e}): try again shortly.") from None
        click.echo(line)
        if failed:
            raise SystemExit(1)
