"""The buyer's statements: the list with a form to ask for any range, one statement with
its progress (polled while a worker builds it) and its figures, and its PDF and CSV.

Only the company's owner and finance people see them; everything is scoped to the
signed-in user's company, so another company's statement is 404 on every URL.
"""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, request, url_for
from flask_login import current_user

from app.core import numbers
from app.core.auth import current_company_id, role_required
from app.core.forms import attempt
from app.core.htmx import redirect_htmx, render
from app.statements import statement_service as service
from app.statements.statement_build import KIND_LABELS
from app.statements.statement_forms import StatementForm
from app.statements.statement_models import PHASES, Statement

bp = Blueprint("buyer_statements", __name__, url_prefix="/statements")

READERS = ("owner", "finance")


def _no_store(response):
    response.headers["Cache-Control"] = "no-store"
    return response


def _list_page(form: StatementForm, status: int = 200):
    try:
        before = numbers.parse_int(request.args.get("before") or "0", 0)
    except numbers.NumberError:
        before = 0  # a stale or tampered page link: start from the newest
    found, next_before = service.page(current_company_id(), before=before or None)
    return _no_store(render("statements/buyer/list.html", "statements/buyer/_list.html", status=status, form=form,
                            statements=found, next_before=next_before, before=before))


@bp.get("")
@role_required(*READERS)
def index():
    form = StatementForm(formdata=None)
    last = service.today().replace(day=1) - timedelta(days=1)
    form.start.data, form.end.data = last.replace(day=1), last
    return _list_page(form)


@bp.post("")
@role_required(*READERS)
def ask():
    form = StatementForm()
    if form.validate_on_submit():
        with attempt(form) as done:
            statement = service.request(current_company_id(), form.start.data, form.end.data,
                                        user=current_user._get_current_object())
        if done:
            return redirect_htmx(url_for("buyer_statements.show", statement_id=statement.id))
        return _list_page(form, done.status)
    return _list_page(form, 422)


def _statement(statement_id: int) -> Statement:
    return service.get(statement_id, current_company_id())


def _detail(statement_id: int):
    statement = _statement(statement_id)
    return _no_store(render("statements/buyer/detail.html", "statements/buyer/_status.html", statement=statement,
                            phases=PHASES, labels=KIND_LABELS))


@bp.get("/<int:statement_id>")
@role_required(*READERS)
def show(statement_id: int):
    return _detail(statement_id)


@bp.get("/<int:statement_id>/status")
@role_required(*READERS)
def status(statement_id: int):
    """Polled by the statement's page while a worker builds it (the page itself without htmx)."""
    return _detail(statement_id)


@bp.get("/<int:statement_id>.<any(pdf, csv):kind>")
@role_required(*READERS)
def download(statement_id: int, kind: str):
    return service.download(_statement(statement_id), kind)
