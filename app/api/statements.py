"""Statement endpoints: the company's statements (newest first, paged by cursor), and each
ready statement's PDF and CSV as stored, with their SHA-256.

Statements are for the company's owner and finance people (403 for other roles); every
URL is scoped to the caller's company, so another company's statement is 404, exactly
like one that does not exist.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import jsonify, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.api import params
from app.api.base import BadParameter, Forbidden, authenticated, bp, cursor_in, cursor_out
from app.core.auth import has_role
from app.statements import statement_service
from app.statements.statement_models import Statement

READERS = ("owner", "finance")
MAX_LIMIT = 100


def _reader_company_id() -> int:
    found = getattr(current_user, "company_id", None)
    if found is None:
        raise Forbidden(_l("This account does not belong to a company, so it has no statements."), "Authorization")
    if not has_role(current_user, *READERS):
        raise Forbidden(_l("Statements are for the company's owner and finance people."), "Authorization")
    return found


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def statement_json(s: Statement) -> dict[str, Any]:
    """The statement object of the API (README, "Statements")."""
    ready = s.status.value == "ready"

    def file(kind: str) -> dict[str, Any] | None:
        if not ready:
            return None
        return {"url": url_for("api.statement_file", statement_id=s.id, kind=kind),
                "sha256": getattr(s, f"{kind}_sha256"), "size": getattr(s, f"{kind}_size")}

    return {
        "id": s.id, "kind": s.kind, "period_start": s.period_start.isoformat(), "period_end": s.period_end.isoformat(),
        "status": s.status.value, "created_at": _time(s.created_at), "ready_at": _time(s.finished_at if ready else None),
        "currency": "CNY",
        "figures": {"lines": s.line_count, "opening_fen": s.opening_fen, "charged_fen": s.charged_fen,
                    "paid_fen": s.paid_fen, "credited_fen": s.credited_fen, "refunded_fen": s.refunded_fen,
                    "adjusted_fen": s.adjusted_fen, "closing_fen": s.closing_fen, "vat_fen": s.vat_fen,
                    "consumption_tax_fen": s.consumption_tax_fen, "tariff_fen": s.tariff_fen} if ready else None,
        "pdf": file("pdf"), "csv": file("csv"),
    }


def _before() -> int | None:
    position = cursor_in("s")
    if position is None:
        return None
    if not (position.isascii() and position.isdigit() and len(position) <= 18):
        raise BadParameter(_l("This cursor is not one the API gave: pass next_cursor as it came."), "cursor")
    return int(position)


@bp.get("/statements")
@authenticated
def list_statements():
    """The company's statements, newest first; one query a page."""
    company = _reader_company_id()
    limit = params.query_int("limit", statement_service.PAGE_SIZE, 1, MAX_LIMIT)
    found, more = statement_service.page(company, before=_before(), limit=limit)
    return jsonify({"items": [statement_json(s) for s in found],
                    "next_cursor": cursor_out("s", str(more) if more else None)})


@bp.get("/statements/<int:statement_id>.<any(pdf, csv):kind>")
@authenticated
def statement_file(statement_id: int, kind: str):
    """The stored file; 409 not_ready while it is being made."""
    return statement_service.download(statement_service.get(statement_id, _reader_company_id()), kind)
