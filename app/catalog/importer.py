"""Supplier price lists as CSV: check every row, then apply all of them or none; and export.

Row numbers count the header as row 1, as a spreadsheet shows them.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, DecimalException
from typing import Any

from sqlalchemy import insert, select, update

from app.catalog.forms import format_tiers, parse_tiers
from app.catalog.landed_cost import Regime
from app.core import money, numbers
from app.core.numbers import NumberError
from app.catalog.models import Offer, Product, Supplier
from app.catalog.services import record_price_points, refresh_best_prices
from app.core import csvio
from app.core.db import batches
from app.core.money import to_major
from app.extensions import db

COLUMNS = ["supplier_sku", "gtin", "unit_price", "stock", "lead_time_days", "moq", "order_increment",
           "regime", "valid_from", "valid_to", "tiers", "shipping_base", "shipping_per_unit",
           "shipping_free_over", "insurance_rate"]
REQUIRED = ["supplier_sku", "gtin", "unit_price", "stock", "lead_time_days"]
MAX_ROWS = 50_000
MAX_ERRORS = 1_000   # a file with more bad rows than this is hopeless; the list stops here


@dataclass
class Checked:
    rows: list[dict[str, Any]]
    errors: list[dict[str, Any]]
    total: int


def N_(msgid: str, **params: Any) -> tuple[str, dict[str, Any]]:
    """Mark a message for translation; the page translates it in the reader's language."""
    return msgid, params


# Reasons stored in import reports by earlier versions of this module; kept in the
# catalog so that those reports still read in the user's language.
LEGACY_REASONS = (
    N_("must be a whole number of at least %(n)d"), N_("write tiers as quantity:price, e.g. 10:11.50; 50:9.90"),
    N_("not a number"), N_("must be from 0 to below 1"),
)


class RowError(Exception):
    def __init__(self, column: str, reason: object) -> None:
        self.column, self.reason = column, reason


def _int(row: dict[str, str], col: str, default: int | None, lo: int, hi: int = numbers.MAX_INT) -> int:
    """The same whole numbers as the ops form: ASCII digits, lo to hi (lead times up to 365)."""
    raw = (row.get(col) or "").strip()
    if not raw:
        if default is None:
            raise RowError(col, N_("required"))
        return default
    try:
        return numbers.parse_int(raw, lo, hi)
    except NumberError as e:
        raise RowError(col, e.reason) from None


def _money(row: dict[str, str], col: str, currency: str, required: bool = False) -> int | None:
    raw = (row.get(col) or "").strip()
    if not raw:
        if required:
            raise RowError(col, N_("required"))
        return None
    if raw.startswith("-"):
        raise RowError(col, N_("must not be negative"))
    try:
        return money.parse(raw, currency)
    except NumberError as e:
        if e.msgid in (numbers.NUMBER, numbers.PLACES, numbers.NO_PLACES):
            raise RowError(col, N_("not an amount in %(currency)s", currency=currency)) from None
        raise RowError(col, e.reason) from None


def _date(row: dict[str, str], col: str, default: date | None) -> date | None:
    raw = (row.get(col) or "").strip()
    if not raw:
        return default
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise RowError(col, N_("not a date (use YYYY-MM-DD)")) from None


def _row(raw: dict[str, str], currency: str, products: dict[str, int], today: date) -> dict[str, Any]:
    sku = (raw.get("supplier_sku") or "").strip()
    if not sku:
        raise RowError("supplier_sku", N_("required"))
    if len(sku) > 64:
        raise RowError("supplier_sku", N_("longer than 64 characters"))
    gtin = (raw.get("gtin") or "").strip()
    if not gtin:
        raise RowError("gtin", N_("required"))
    if gtin not in products:
        raise RowError("gtin", N_("no product with this GTIN"))
    regime = (raw.get("regime") or "retail").strip().lower()
    if regime not in ("retail", "general"):
        raise RowError("regime", N_("must be retail or general"))
    try:
        tiers = parse_tiers(raw.get("tiers") or "", currency)
    except NumberError as e:
        raise RowError("tiers", e.reason) from None
    try:
        insurance = numbers.parse_rate((raw.get("insurance_rate") or "0").strip())
    except NumberError as e:
        raise RowError("insurance_rate", e.reason) from None
    valid_from = _date(raw, "valid_from", today)
    valid_to = _date(raw, "valid_to", None)
    if valid_to and valid_to < valid_from:
        raise RowError("valid_to", N_("before valid_from"))
    moq = _int(raw, "moq", 1, 1)
    return {
        "supplier_sku": sku, "product_id": products[gtin],
        "unit_price_minor": _money(raw, "unit_price", currency, required=True),
        "stock": _int(raw, "stock", None, 0), "lead_time_days": _int(raw, "lead_time_days", None, 0, numbers.MAX_LEAD_DAYS),
        "moq": moq, "order_increment": _int(raw, "order_increment", 1, 1), "regime": Regime(regime),
        "valid_from": valid_from, "valid_to": valid_to, "price_tiers": tiers,
        "shipping_base_minor": _money(raw, "shipping_base", currency) or 0,
        "shipping_per_unit_minor": _money(raw, "shipping_per_unit", currency) or 0,
        "shipping_free_over_minor": _money(raw, "shipping_free_over", currency),
        "insurance_rate": insurance,
    }


def _error(row: int, column: str, reason: tuple[str, dict[str, Any]]) -> dict[str, Any]:
    msgid, params = reason
    return {"row": row, "column": column, "reason": msgid, "params": params}


def file_problem(content: str) -> str | None:
    """Why a decoded upload cannot be stored or read as CSV at all (a message id), or None."""
    if "\x00" in content:  # a spreadsheet or binary file; PostgreSQL text cannot hold it either
        return N_("The file contains NUL characters, so it is not a CSV text file. "
                  "Save it as “CSV UTF-8” and try again.")[0]
    return None


def _read(content: str) -> tuple[list[str], list[tuple[int, list[str]]]]:
    """The header and each data row with its row number. Blank lines are skipped but
    counted, as a spreadsheet counts them; reading stops past MAX_ROWS. Rows stay lists
    (a third of a dict's memory) until they are checked. Raises csvio.CsvError."""
    records = csvio.read(content)
    header = [h.strip() for h in next(records, [])]
    rows: list[tuple[int, list[str]]] = []
    for n, cells in enumerate(records, start=2):
        if cells:
            rows.append((n, cells))
            if len(rows) > MAX_ROWS:
                break
    return header, rows


def check(content: str, supplier: Supplier, today: date,
          progress: Callable[[int, int], None] = lambda done, total: None) -> Checked:
    """Parse and validate the whole file; every bad row is listed with row, column and reason."""
    errors: list[dict[str, Any]] = []
    if (problem := file_problem(content)) is not None:
        return Checked([], [_error(1, "", (problem, {}))], 0)
    try:
        header, raw_rows = _read(content)
    except csvio.CsvError as e:
        return Checked([], [_error(e.row, "", (e.msgid, e.params))], 0)
    missing = [c for c in REQUIRED if c not in header]
    unknown = [c for c in header if c not in COLUMNS]
    for c in sorted({c for c in header if header.count(c) > 1}, key=header.index):
        # A row read by column would keep only the last of the two cells, silently.
        errors.append(_error(1, c, N_("column appears more than once")))
    for c in missing:
        errors.append(_error(1, c, N_("required column is missing")))
    for c in unknown:
        errors.append(_error(1, c, N_("unknown column")))
    if errors:
        return Checked([], errors, 0)
    total = len(raw_rows)
    if total == 0:
        return Checked([], [_error(1, "", N_("the file has no rows"))], 0)
    if total > MAX_ROWS:
        return Checked([], [_error(1, "", N_("more than %(n)d rows", n=MAX_ROWS))], total)
    at = header.index("gtin")
    gtins = {cells[at].strip() for _, cells in raw_rows if len(cells) > at} - {""}
    products: dict[str, int] = {}
    for batch in batches(sorted(gtins)):
        products.update(db.session.execute(select(Product.gtin, Product.id).where(Product.gtin.in_(batch))).all())
    rows: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for done, (n, cells) in enumerate(raw_rows, start=1):
        if len(cells) > len(header):
            errors.append(_error(n, "", N_("more cells than columns")))
        else:
            try:
                row = _row(dict(zip(header, cells)), supplier.currency, products, today)
            except RowError as e:
                errors.append(_error(n, e.column, e.reason))
            except DecimalException:  # a safety net: the parsers above refuse such text first
                errors.append(_error(n, "", N_("a number in this row cannot be read")))
            else:
                if row["supplier_sku"] in seen:
                    errors.append(_error(n, "supplier_sku", N_("same SKU as row %(n)d", n=seen[row["supplier_sku"]])))
                else:
                    seen[row["supplier_sku"]] = n
                    rows.append(row)
        if len(errors) >= MAX_ERRORS:
            break
        if done % 500 == 0:
            progress(done, total)
    progress(total, total)
    return Checked(rows if not errors else [], errors, total)


def apply(rows: list[dict[str, Any]], supplier: Supplier, today: date) -> tuple[int, int]:
    """Create or update the supplier's offers from checked rows; flushes, never commits."""
    existing = dict(db.session.execute(
        select(Offer.supplier_sku, Offer.id).where(Offer.supplier_id == supplier.id)).all())
    new, changed = [], []
    for r in rows:  # completed in place: a copy of 50,000 rows would double the memory
        r.update(currency=supplier.currency, active=True)
        if r["supplier_sku"] in existing:
            r["id"] = existing[r["supplier_sku"]]
            changed.append(r)
        else:
            r["supplier_id"] = supplier.id
            new.append(r)
    for batch in batches(new, per_item=len(new[0]) if new else 1):
        # Every row names every column (NULL included), so each batch is one executemany.
        db.session.execute(insert(Offer).execution_options(render_nulls=True), batch)
    for batch in batches(changed, per_item=len(changed[0]) if changed else 1):
        db.session.execute(update(Offer), batch)
    db.session.flush()
    # The supplier's offers, kept to those in the file: no IN list of every SKU.
    skus = {r["supplier_sku"] for r in rows}
    offers = [o for o in db.session.execute(
        select(Offer.id, Offer.supplier_sku, Offer.product_id, Offer.unit_price_minor)
        .where(Offer.supplier_id == supplier.id)) if o.supplier_sku in skus]
    record_price_points(offers, today)
    refresh_best_prices({o.product_id for o in offers}, today)
    return len(new), len(changed)


def export_rows(supplier: Supplier) -> Iterator[list[Any]]:
    """The supplier's active offers as rows of COLUMNS, the import format, so that a price
    list can be exported, edited and imported again."""
    stmt = (select(Offer, Product.gtin).join(Product, Product.id == Offer.product_id)
            .where(Offer.supplier_id == supplier.id, Offer.active.is_(True)).order_by(Offer.supplier_sku))
    for offer, gtin in db.session.execute(stmt):
        def major(v: int | None) -> Decimal | None:
            return None if v is None else to_major(v, offer.currency)
        yield [offer.supplier_sku, gtin, major(offer.unit_price_minor), offer.stock,
               offer.lead_time_days, offer.moq, offer.order_increment, offer.regime.value,
               offer.valid_from.isoformat(), offer.valid_to.isoformat() if offer.valid_to else None,
               format_tiers(offer.price_tiers, offer.currency), major(offer.shipping_base_minor),
               major(offer.shipping_per_unit_minor), major(offer.shipping_free_over_minor),
               offer.insurance_rate]
