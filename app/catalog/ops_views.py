"""Operations pages (role ops): suppliers, products, offers, tax categories and FX rates,
supplier price-list import (an RQ job with progress) and export."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from flask import Blueprint, Response, abort, flash, redirect, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.catalog import forms, importer, jobs, ops_queries, services
from app.catalog.choices import CATEGORIES, COUNTRIES, FULFILMENT, REGIMES
from app.catalog.models import FxRate, ImportStatus, Offer, PriceListImport, Product, Supplier, TaxCategory
from app.core import csvio
from app.core.auth import role_required
from app.core.forms import attempt, upload_name
from app.core.htmx import redirect_htmx, render
from app.extensions import db

bp = Blueprint("catalog_ops", __name__, url_prefix="/ops/catalog")
OPS = ("ops",)


@dataclass(frozen=True)
class Kind:
    model: type
    form: Callable[..., Any]
    save: Callable[[Any, dict], Any]
    title: Any
    singular: Any
    can_deactivate: bool = True
    initial: Callable[[Any], dict] | None = None   # form values that differ from model attributes


def _supplier_form(*a, **kw):
    return forms.SupplierForm(*a, **kw)


def _product_form(*a, **kw):
    return forms.ProductForm(*a, tax_categories=ops_queries.tax_categories(), **kw)


def _offer_form(*a, **kw):
    return forms.OfferForm(*a, suppliers=ops_queries.suppliers(), **kw)


KINDS: dict[str, Kind] = {
    "suppliers": Kind(Supplier, _supplier_form, services.save_supplier, _l("Suppliers"), _l("supplier")),
    "products": Kind(Product, _product_form, services.save_product, _l("Products"), _l("product"),
                     initial=forms.ProductForm.initial),
    "offers": Kind(Offer, _offer_form, services.save_offer, _l("Offers"), _l("offer"),
                   initial=forms.OfferForm.initial),
    "tax-categories": Kind(TaxCategory, forms.TaxCategoryForm, services.save_tax_category,
                           _l("Tax categories"), _l("tax category")),
    "fx-rates": Kind(FxRate, forms.FxRateForm, lambda obj, data: services.save_fx_rate(data),
                     _l("Exchange rates"), _l("exchange rate"), can_deactivate=False),
}

def _kind(kind: str) -> Kind:
    if kind not in KINDS:
        abort(404)
    return KINDS[kind]


def _vocab(**ctx: Any) -> dict:
    return {"kinds": KINDS, "CATEGORIES": CATEGORIES, "COUNTRIES": COUNTRIES, "FULFILMENT": FULFILMENT,
            "REGIMES": REGIMES, "locale": str(get_locale() or "zh_CN"), **ctx}


@bp.get("/")
@role_required(*OPS)
def index():
    return redirect(url_for("catalog_ops.listing", kind="suppliers"))


@bp.get("/<kind>")
@role_required(*OPS)
def listing(kind: str):
    _kind(kind)
    page = ops_queries.listing(kind, request.args)
    return render("catalog/ops/list.html", "catalog/ops/_table.html", kind=kind, rows=page,
                  args=request.args.to_dict(), **_vocab())


@bp.route("/<kind>/new", methods=["GET", "POST"])
@bp.route("/<kind>/<int:ident>/edit", methods=["GET", "POST"])
@role_required(*OPS)
def edit(kind: str, ident: int | None = None):
    spec = _kind(kind)
    obj = db.get_or_404(spec.model, ident) if ident else None
    form = spec.form() if request.method == "POST" else _filled(spec, obj)
    if form.validate_on_submit() and (data := form.to_data()) is not None:
        with attempt(form) as done:
            spec.save(obj, data)
        if done:
            flash(_("Saved."), "success")
            return redirect(url_for("catalog_ops.listing", kind=kind), 303)
    return render("catalog/ops/form.html", kind=kind, spec=spec, form=form, obj=obj,
                  status=422 if form.errors else 200, **_vocab())


def _filled(spec: Kind, obj: Any):
    """A form showing `obj` (or blanks and ?product_id= for a new offer)."""
    form = spec.form(formdata=None)
    values: dict[str, Any] = {}
    if obj is not None:
        values = {n: getattr(obj, n) for n in form._fields if hasattr(obj, n)}
        values = {k: (v.value if hasattr(v, "value") else v) for k, v in values.items()}
        if spec.initial:
            values.update(spec.initial(obj))
    elif "product_id" in form._fields and (product_id := ops_queries.whole(request.args.get("product_id"), 1)):
        values["product_id"] = product_id
    form.process(formdata=None, data=values)
    return form


@bp.post("/<kind>/<int:ident>/active")
@role_required(*OPS)
def toggle(kind: str, ident: int):
    spec = _kind(kind)
    if not spec.can_deactivate:
        abort(404)
    obj = db.get_or_404(spec.model, ident)
    services.set_active(obj, request.form.get("active") == "1")
    flash(_("Reactivated.") if obj.active else _("Deactivated."), "success")
    return redirect_htmx(request.referrer if _same_site(request.referrer) else url_for("catalog_ops.listing", kind=kind))


def _same_site(url: str | None) -> bool:
    return bool(url) and url.startswith(request.host_url)


@bp.route("/suppliers/<int:supplier_id>/import", methods=["GET", "POST"])
@role_required(*OPS)
def price_import(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    form = forms.PriceListForm()
    if form.validate_on_submit():
        try:
            content = form.file.data.read().decode("utf-8-sig")
        except UnicodeDecodeError:
            form.file.errors.append(_("The file is not UTF-8 text. Save it as “CSV UTF-8” and try again."))
        else:
            if (problem := importer.file_problem(content)) is not None:
                form.file.errors.append(_(problem))
                return _import_page(supplier, form)
            name = upload_name(form.file.data, PriceListImport.filename, "price-list.csv")
            job = services.accept_import(supplier, current_user.id, name, content)
            return redirect(url_for("catalog_ops.import_status", import_id=job.id), 303)
    return _import_page(supplier, form)


def _import_page(supplier: Supplier, form: forms.PriceListForm):
    recent = ops_queries.recent_imports(supplier.id)
    return render("catalog/ops/import.html", supplier=supplier, form=form, recent=recent,
                  columns=importer.COLUMNS, required=importer.REQUIRED, status=422 if form.errors else 200, **_vocab())


@bp.get("/imports/<int:import_id>")
@role_required(*OPS)
def import_status(import_id: int):
    job = db.get_or_404(PriceListImport, import_id)
    waiting = job.status == ImportStatus.QUEUED
    state = "running" if waiting and services.import_running(job.id) else job.status.value
    return render("catalog/ops/import_status.html", "catalog/ops/_import_status.html", job=job, state=state,
                  running=waiting, progress=jobs.read_progress(job.id) if waiting else None, **_vocab())


@bp.get("/suppliers/<int:supplier_id>/export.csv")
@role_required(*OPS)
def price_export(supplier_id: int):
    supplier = db.get_or_404(Supplier, supplier_id)
    return csvio.response(f"offers-supplier-{supplier.id}.csv", importer.COLUMNS, importer.export_rows(supplier))
