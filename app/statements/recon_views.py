"""Platform finance's pages (finance_admin, admin): reconciliation runs and their exceptions,
the ledger's balances and each account's postings; every list also as CSV."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.core import files
from app.core.auth import role_required
from app.core.forms import attempt
from app.core.htmx import is_htmx, redirect_htmx, render
from app.extensions import db
from app.statements import reconciliation
from app.statements import reconciliation_actions as actions
from app.statements import reconciliation_exports as exports
from app.statements import reconciliation_ledger as books
from app.statements import reconciliation_queries as queries
from app.statements.recon_forms import ResolveForm, RunForm
from app.statements.recon_models import ReconException, ReconRun, RunStatus

bp = Blueprint("finance", __name__, url_prefix="/finance")
FINANCE = ("finance_admin",)
RUN_PAGE, RUNS_PAGE = "statements/reconciliation/run.html", "statements/reconciliation/runs.html"


def _runs_page(form: RunForm, status: int = 200):
    before = queries.parse_day(request.args.get("before"))
    runs, next_before = queries.runs_page(before)
    first, last = reconciliation.today() - timedelta(days=reconciliation.KEPT_DAYS), reconciliation.today() - timedelta(1)
    form.day.render_kw = {"type": "date", "min": first.isoformat(), "max": last.isoformat()}
    return render(RUNS_PAGE, "statements/reconciliation/_runs.html", status=status, form=form, runs=runs,
                  before=before, next_before=next_before, first_day=first, last_day=last)


@bp.get("/reconciliation")
@role_required(*FINANCE)
def runs():
    yesterday = reconciliation.today() - timedelta(days=1)
    return _runs_page(RunForm(formdata=None, data={"day": yesterday.isoformat()}))


@bp.post("/reconciliation")
@role_required(*FINANCE)
def request_run():
    form = RunForm()
    if form.validate_on_submit():
        with attempt(form, "day") as done:
            run = reconciliation.request(form.day.data, actor_id=current_user.id)
        if done:
            flash(_("Reconciling %(day)s: the page shows the result when it is done.", day=form.day.data), "success")
            return redirect_htmx(url_for("finance.run", run_id=run.id))
    return _runs_page(form, 422)


@bp.get("/reconciliation.csv")
@role_required(*FINANCE)
def runs_csv():
    return exports.runs()


def _run_page(run: ReconRun, *, fragment: str | None, status: int = 200, forms: dict | None = None):
    filters = queries.parse_filter(request.args)
    rows, next_after = queries.exceptions_page(run.id, filters)
    return render(RUN_PAGE, fragment, status=status, run=run, rows=rows, filters=filters, next_after=next_after,
                  forms=forms or {})


@bp.get("/reconciliation/<int:run_id>")
@role_required(*FINANCE)
def run(run_id: int):
    return _run_page(db.get_or_404(ReconRun, run_id), fragment="statements/reconciliation/_exceptions.html")


@bp.get("/reconciliation/<int:run_id>/summary")
@role_required(*FINANCE)
def run_summary(run_id: int):
    found = db.get_or_404(ReconRun, run_id)
    response = _run_page(found, fragment="statements/reconciliation/_summary.html")
    if is_htmx() and found.status != RunStatus.QUEUED:
        response.headers["HX-Refresh"] = "true"   # done: the whole page, exceptions and all
    return response


@bp.post("/reconciliation/<int:run_id>/run")
@role_required(*FINANCE)
def rerun(run_id: int):
    found = db.get_or_404(ReconRun, run_id)
    with attempt() as done:
        reconciliation.request(found.bill_date, actor_id=current_user.id)
    if done:
        flash(_("Reconciling %(day)s again.", day=found.bill_date.isoformat()), "success")
    return redirect_htmx(url_for("finance.run", run_id=run_id))


@bp.get("/reconciliation/<int:run_id>/bill")
@role_required(*FINANCE)
def bill(run_id: int):
    found = db.get_or_404(ReconRun, run_id)
    if not found.bill_key:
        abort(404)
    try:
        return files.send(found.bill_key, download_name=f"wechatpay-bill-{found.bill_date:%Y%m%d}.csv",
                          mimetype="text/csv", sha256=found.bill_sha256)
    except files.FileMissing:
        abort(404)


@bp.get("/reconciliation/<int:run_id>/exceptions.csv")
@role_required(*FINANCE)
def exceptions_csv(run_id: int):
    return exports.exceptions(db.get_or_404(ReconRun, run_id), queries.parse_filter(request.args))


def _acted(exception: ReconException, form: ResolveForm | None, done, message: str):
    """After an action on an exception: its row again (htmx), or back to its run's page."""
    run = db.session.get(ReconRun, exception.run_id)
    db.session.refresh(exception)
    if is_htmx():
        return render("statements/reconciliation/_exception.html", status=done.status, run=run, e=exception,
                      form=form, notice=message if done else str(done.error.message))
    if not done and form is not None:
        return _run_page(run, fragment=None, status=done.status, forms={exception.id: form})
    flash(message if done else str(done.error.message), "success" if done else "error")
    return redirect_htmx(url_for("finance.run", run_id=run.id, **queries.parse_filter(request.args).args())
                         + f"#exception-{exception.id}")


@bp.post("/reconciliation/exceptions/<int:exception_id>/resolve")
@role_required(*FINANCE)
def resolve(exception_id: int):
    exception = db.get_or_404(ReconException, exception_id)
    form = ResolveForm()   # the service checks the note and says what is wrong with it
    with attempt(form, "note") as done:
        actions.resolve(exception_id, form.note.data or "", actor_id=current_user.id)
    return _acted(exception, form, done, _("Resolved: the note is kept with it."))


@bp.post("/reconciliation/exceptions/<int:exception_id>/requery")
@role_required(*FINANCE)
def requery(exception_id: int):
    exception = db.get_or_404(ReconException, exception_id)
    with attempt() as done:
        actions.requery(exception_id, actor_id=current_user.id)
    return _acted(exception, None, done, _("Asked WeChat Pay again: its answer is below."))


@bp.get("/ledger")
@role_required(*FINANCE)
def ledger_page():
    rows = books.balances()
    window = books.balances_page(rows, request.args.get("after"))
    return render("statements/ledger/balances.html", "statements/ledger/_accounts.html", totals=books.totals(rows),
                  window=window)


@bp.get("/ledger.csv")
@role_required(*FINANCE)
def ledger_csv():
    return exports.balances(books.balances())


@bp.get("/ledger/accounts/<int:account_id>")
@role_required(*FINANCE)
def account(account_id: int):
    found = books.account(account_id) or abort(404)
    start, end = (queries.parse_day(request.args.get(k)) for k in ("from", "to"))
    rows, next_before = books.postings_page(account_id, start, end, queries.cursor(request.args.get("before")))
    dates = {k: v.isoformat() for k, v in (("from", start), ("to", end)) if v}
    return render("statements/ledger/account.html", "statements/ledger/_postings.html", account=found, rows=rows,
                  start=start, end=end, dates=dates, next_before=next_before)


@bp.get("/ledger/accounts/<int:account_id>.csv")
@role_required(*FINANCE)
def account_csv(account_id: int):
    found = books.account(account_id) or abort(404)
    start, end = (queries.parse_day(request.args.get(k)) for k in ("from", "to"))
    return exports.postings(found, books.all_postings(account_id, start, end))
