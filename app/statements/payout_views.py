"""Payout batch pages (on the settlement blueprint): the list, one batch, and its actions.

Every action is a POST that answers with a redirect back to the batch (HX-Redirect for
htmx), its refusal flashed there; marking paid shows its form again when the bank's
reference is missing.
"""
from __future__ import annotations

from flask import abort, flash, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.core import csvio, files, numbers
from app.core.auth import role_required
from app.core.errors import NotFound
from app.core.forms import attempt
from app.core.htmx import redirect_htmx, render
from app.core.money import to_major
from app.extensions import db
from app.statements import payouts
from app.statements import settlement_services as services
from app.statements.settlement_forms import CancelForm, PaidForm, period_args, supplier_ids
from app.statements.settlement_models import BatchStatus, PayoutBatch
from app.statements.settlement_texts import BATCH_LABELS
from app.statements.settlement_views import FINANCE, bp, posted_period


def _filters() -> tuple[str | None, int | None]:
    status = request.args.get("status") or None
    if status not in {s.value for s in BatchStatus}:
        status = None
    try:
        before = numbers.parse_int(request.args["before"], 1) if request.args.get("before") else None
    except numbers.NumberError:
        before = None
    return status, before


@bp.get("/payouts")
@role_required(*FINANCE)
def payouts_list():
    status, before = _filters()
    batches, next_before = services.batches_page(status, before)
    return render("statements/settlement/payouts.html", "statements/settlement/_payouts.html", batches=batches,
                  next_before=next_before, status=status, before=before, batch_labels=BATCH_LABELS)


@bp.get("/payouts.csv")
@role_required(*FINANCE)
def payouts_csv():
    status, _before = _filters()
    header = [_("Batch"), _("State"), _("Number of suppliers"), _("Total (CNY)"), _("Created (Beijing time)"),
              _("Paid (Beijing time)"), _("Bank reference")]
    rows = ([b.number, str(BATCH_LABELS[b.status.value]), len(payouts.live(b)) or len(b.lines),
             to_major(b.total_fen, "CNY"), _when(b.created_at), _when(b.paid_at), b.bank_reference or ""]
            for b in services.all_batches(status))
    return csvio.response("payout-batches.csv", header, rows)


def _when(at) -> str:
    from app.statements.settlement import CHINA

    return at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M") if at else ""


@bp.post("/payouts")
@role_required(*FINANCE)
def create_batch():
    period = posted_period()
    with attempt() as done:
        created = payouts.create_batch(supplier_ids(request.form.getlist("supplier_id")), period,
                                       actor_id=current_user.id)
    if not done:
        return redirect_htmx(url_for("settlement.periods", **period_args(period)))
    for name, why in created.skipped:
        flash(_("%(supplier)s is not in the batch: %(why)s.", supplier=name, why=why), "info")
    flash(_("Payout batch %(number)s created. Approve it to make its bank file.", number=created.batch.number),
          "success")
    return redirect_htmx(url_for("settlement.batch", batch_id=created.batch.id))


def _batch_page(batch_id: int, paid_form: PaidForm | None = None, status: int = 200):
    try:
        view = services.batch_view(batch_id)
    except NotFound:
        abort(404)
    return render("statements/settlement/batch.html", view=view, batch=view.batch, batch_labels=BATCH_LABELS,
                  live=payouts.live(view.batch), paid_form=paid_form or PaidForm(formdata=None),
                  cancel_form=CancelForm(formdata=None), status=status)


@bp.get("/payouts/<int:batch_id>")
@role_required(*FINANCE)
def batch(batch_id: int):
    return _batch_page(batch_id)


@bp.get("/payouts/<int:batch_id>/lines.csv")
@role_required(*FINANCE)
def batch_csv(batch_id: int):
    found = db.get_or_404(PayoutBatch, batch_id)
    header = [_("Supplier"), _("First day"), _("Last day"), _("Amount (CNY)"), _("Reference"), _("Released")]
    rows = ([line.supplier_name, line.period_first, line.period_last, to_major(line.amount_fen, "CNY"),
             line.reference, _("yes") if line.released else ""] for line in found.lines)
    return csvio.response(f"payout-{found.number}.csv", header, rows)


@bp.get("/payouts/<int:batch_id>/bank-file.csv")
@role_required(*FINANCE)
def bank_file(batch_id: int):
    found = db.get_or_404(PayoutBatch, batch_id)
    if not found.file_key:
        abort(404)
    try:
        return files.send(found.file_key, download_name=f"bank-transfer-{found.number}.csv",
                          mimetype="text/csv", sha256=found.file_sha256)
    except files.FileMissing:
        abort(404)


ACTIONS = {
    "approve": (lambda batch_id: payouts.approve(batch_id, actor_id=current_user.id), _l("Batch approved.")),
    "export": (lambda batch_id: payouts.export(batch_id, actor_id=current_user.id),
               _l("The bank transfer file is ready to download.")),
}


@bp.post("/payouts/<int:batch_id>/<any(approve, export):action>")
@role_required(*FINANCE)
def batch_action(batch_id: int, action: str):
    run, done_message = ACTIONS[action]
    with attempt() as done:
        run(batch_id)
    if done:
        flash(str(done_message), "success")
    return redirect_htmx(url_for("settlement.batch", batch_id=batch_id))


@bp.post("/payouts/<int:batch_id>/paid")
@role_required(*FINANCE)
def mark_paid(batch_id: int):
    form = PaidForm()
    if not form.validate_on_submit():
        return _batch_page(batch_id, form, 422)
    with attempt(form) as done:
        payouts.mark_paid(batch_id, form.bank_reference.data, actor_id=current_user.id)
    if not done:
        return _batch_page(batch_id, form, done.status)
    flash(_("Marked paid. The payouts are booked."), "success")
    return redirect_htmx(url_for("settlement.batch", batch_id=batch_id))


@bp.post("/payouts/<int:batch_id>/cancel")
@role_required(*FINANCE)
def cancel(batch_id: int):
    form = CancelForm()
    with attempt() as done:
        payouts.cancel(batch_id, actor_id=current_user.id, note=form.note.data or "")
    if done:
        flash(_("Batch cancelled. Its suppliers can be paid in another batch."), "success")
    return redirect_htmx(url_for("settlement.batch", batch_id=batch_id))
