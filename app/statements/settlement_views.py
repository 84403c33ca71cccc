"""Platform finance pages for supplier settlement: periods, a supplier's settlement with its
statement files and bank details, and payout batches (create, approve, export, mark paid)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from app.core import csvio, files, paging
from app.core.auth import role_required
from app.core.forms import attempt
from app.core.htmx import redirect_htmx, render
from app.core.models import utcnow
from app.core.money import to_major
from app.extensions import db
from app.statements import payouts
from app.statements import settlement_services as services
from app.statements.settlement_forms import BankAccountForm, PeriodForm, parse_period, period_args, supplier_ids
from app.statements.settlement_models import Settlement
from app.statements.settlement_texts import BATCH_LABELS, KIND_LABELS, STATE_LABELS

bp = Blueprint("settlement", __name__, url_prefix="/finance")
FINANCE = ("finance_admin", "admin")
PAGE = 50


def _today():
    from app import catalog

    return catalog.today()


def _vocab(**ctx):
    from app.statements.settlement_files import files_state

    return {"state_labels": STATE_LABELS, "batch_labels": BATCH_LABELS, "kind_labels": KIND_LABELS,
            "files_state": files_state, **ctx}


def _window(items: list, order: str, limit: int) -> paging.Window:
    """One page of a list already sorted in memory, after the ?after= cursor."""
    return paging.window(items, [(i,) for i in range(len(items))], order,
                         paging.decode(request.args.get("after", ""), order), limit)


def _period_form(period) -> PeriodForm:
    return PeriodForm(formdata=None, first=period.first.isoformat(), last=period.last.isoformat())


def posted_period():
    """The period a POST acts on, from its hidden fields (and its CSRF token); 400 otherwise."""
    form = PeriodForm()
    period = form.period() if form.validate_on_submit() else None
    if period is None:
        abort(400)
    return period


def _can_settle(period) -> bool:
    return utcnow() >= period.settle_from


@bp.get("/settlement")
@role_required(*FINANCE)
def periods():
    choice, errors = parse_period(request.args, _today())
    rows = services.period_rows(choice.period)
    return render("statements/settlement/periods.html", "statements/settlement/_periods.html", choice=choice,
                  errors=errors, window=_window(rows, "periods", PAGE), totals=services.totals(rows),
                  can_settle=_can_settle(choice.period), form=_period_form(choice.period), **_vocab())


@bp.get("/settlement.csv")
@role_required(*FINANCE)
def periods_csv():
    choice, _errors = parse_period(request.args, _today())
    header = [_("Supplier"), _("First day"), _("Last day"), _("Gross (CNY)"), _("Refunds (CNY)"), _("Commission (CNY)"),
              _("WeChat Pay fees (CNY)"), _("Payable (CNY)"), _("State")]
    rows = ([r.name, choice.period.first, choice.period.last] + [to_major(v, "CNY") for v in
            (r.gross, r.refunds, r.commission, r.fees, r.payable)] + [str(STATE_LABELS[r.state])]
            for r in services.period_rows(choice.period))
    return csvio.response(f"settlement-{choice.period.key}.csv", header, rows)


@bp.post("/settlement/confirm")
@role_required(*FINANCE)
def confirm_many():
    period = posted_period()
    chosen = supplier_ids(request.form.getlist("supplier_id"))
    with attempt() as done:
        if not chosen:
            flash(_("Choose at least one supplier."), "error")
        for supplier_id in chosen:
            services.confirm(supplier_id, period, actor_id=current_user.id)
    if done and chosen:
        flash(ngettext("%(num)d settlement confirmed. Its statement is being made.",
                       "%(num)d settlements confirmed. Their statements are being made.", len(chosen)), "success")
    return redirect_htmx(url_for("settlement.periods", **period_args(period)))


@bp.get("/settlement/suppliers/<int:supplier_id>")
@role_required(*FINANCE)
def supplier(supplier_id: int):
    choice, errors = parse_period(request.args, _today())
    view = _or_404(lambda: services.supplier_view(supplier_id, choice.period))
    return render("statements/settlement/supplier.html", "statements/settlement/_lines.html", view=view,
                  choice=choice, errors=errors, window=_window(view.rows, "lines", PAGE * 2),
                  can_settle=_can_settle(choice.period), form=_period_form(choice.period), **_vocab())


@bp.post("/settlement/suppliers/<int:supplier_id>/confirm")
@role_required(*FINANCE)
def supplier_confirm(supplier_id: int):
    period = posted_period()
    with attempt() as done:
        services.confirm(supplier_id, period, actor_id=current_user.id)
    if done:
        flash(_("Settled. The statement is being made."), "success")
    return redirect_htmx(url_for("settlement.supplier", supplier_id=supplier_id, **period_args(period)))


def _or_404(fn):
    from app.core.errors import NotFound

    try:
        return fn()
    except NotFound:
        abort(404)


@bp.route("/settlement/suppliers/<int:supplier_id>/bank", methods=["GET", "POST"])
@role_required(*FINANCE)
def bank(supplier_id: int):
    view = _or_404(lambda: services.supplier_view(supplier_id, parse_period(request.args, _today())[0].period))
    form = BankAccountForm(obj=view.bank) if request.method == "GET" else BankAccountForm()
    if request.method == "GET":
        form.account_number.data = ""
    if form.validate_on_submit():
        with attempt(form) as done:
            payouts.save_bank_account(supplier_id, account_name=form.account_name.data, bank_name=form.bank_name.data,
                                      account_number=form.account_number.data, swift_bic=form.swift_bic.data,
                                      actor_id=current_user.id)
        if done:
            flash(_("Bank details saved."), "success")
            return redirect(url_for("settlement.supplier", supplier_id=supplier_id, **request.args.to_dict()), 303)
    return render("statements/settlement/bank.html", view=view, form=form, args=request.args.to_dict(),
                  status=422 if form.errors else 200)


@bp.get("/settlements/<int:settlement_id>/files")
@role_required(*FINANCE)
def settlement_files(settlement_id: int):
    settlement = db.get_or_404(Settlement, settlement_id)
    return render("statements/settlement/files.html", "statements/settlement/_files.html", s=settlement, **_vocab())


@bp.get("/settlements/<int:settlement_id>.<any(pdf, csv):kind>")
@role_required(*FINANCE)
def download(settlement_id: int, kind: str):
    from app.statements.settlement_files import file_name

    settlement = db.get_or_404(Settlement, settlement_id)
    key, digest = (settlement.pdf_key, settlement.pdf_sha256) if kind == "pdf" else (settlement.csv_key,
                                                                                   settlement.csv_sha256)
    if not key:
        abort(404)
    try:
        return files.send(key, download_name=file_name(settlement, f".{kind}"), sha256=digest,
                          mimetype="application/pdf" if kind == "pdf" else "text/csv")
    except files.FileMissing:
        abort(404)

