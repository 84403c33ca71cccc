"""A monthly statement says what the ledger says: its opening and closing balances, each
total and each tax equal the ledger's own sums for that company and that Beijing month,
with orders, payments and a partial refund on both sides of a month's boundary."""
from __future__ import annotations

from datetime import timedelta, timezone

import pytest

from app.core import csvio, files
from app.statements import statement_service, statements
from app.statements.statement_models import Statement, StatementStatus
from tests.orders.conftest import make_consignee, shop  # noqa: F401
from tests.statements.test_statement_helpers import (account_sum, beijing, month_before_last, next_month,
                                                     paid_order, refund, run_build, taxes_held)


@pytest.fixture
def history(db_session, shop, make_user):  # noqa: F811
    """Two companies' month: orders paid early and at 23:30 on its last day, one paid at
    00:30 on the next (still the last day in UTC), and a quarter of an order refunded:
    approved before midnight, paid back after it."""
    month = month_before_last()
    owner = make_user(role="owner", phone="+8613811110001", verified_phone="+8613811110001")
    other = make_user(role="owner")
    for user in (owner, other):
        make_consignee(user)
    first = paid_order(owner, [(shop.cny_offer.id, 2)], beijing(month.start + timedelta(days=2), 10))
    last_evening = paid_order(owner, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 1)], beijing(month.end, 23, 30))
    after_midnight = paid_order(owner, [(shop.usd_offer.id, 3)], beijing(month.end + timedelta(days=1), 0, 30))
    assert after_midnight.paid_at.astimezone(timezone.utc).date() == month.end, "in UTC it is still the last day"
    others = paid_order(other, [(shop.cny_offer.id, 5)], beijing(month.start + timedelta(days=9), 9))
    quarter = last_evening.total_fen // 4
    refund(last_evening, quarter, approved_at=beijing(month.end, 23, 50),
           settled_at=beijing(month.end + timedelta(days=1), 0, 20), actor_id=owner.id)
    return {"month": month, "owner": owner, "other": other, "in_month": [first, last_evening],
            "after": after_midnight, "others": others, "refund": quarter}


def test_the_monthly_statement_ties_out_to_the_ledger(db_session, history):
    month, owner = history["month"], history["owner"]
    assert statement_service.request_monthly(month.end + timedelta(days=1)) == 2, "one for each company that moved"
    statement = db_session.query(Statement).filter_by(company_id=owner.company_id, month=month.start).one()
    assert run_build(statement) == "done"
    db_session.refresh(statement)
    assert statement.status == StatementStatus.READY and statement.kind == "monthly"

    start, end = month.bounds()
    in_month = history["in_month"]
    assert statement.opening_fen == account_sum(owner.company_id, before=start) == 0
    assert statement.closing_fen == account_sum(owner.company_id, before=end) == -history["refund"], \
        "a refund approved and not yet paid back is owed to the company at the month's end"
    assert statement.charged_fen == statement.paid_fen == sum(o.total_fen for o in in_month)
    assert statement.credited_fen == history["refund"] and statement.refunded_fen == 0
    moved = account_sum(owner.company_id, start=start, end=end)
    assert statement.charged_fen - statement.paid_fen - statement.credited_fen + statement.refunded_fen == moved
    held = taxes_held(owner.company_id, month)
    assert (statement.vat_fen, statement.consumption_tax_fen, statement.tariff_fen) == \
        (held.get("vat", 0), held.get("consumption_tax", 0), held.get("tariff", 0))
    charged_vat = sum(line.vat_fen for order in in_month for line in order.lines)
    assert 0 < statement.vat_fen < charged_vat, "the refund took back its share of the VAT"
    assert statement.line_count == 5, "two orders, two payments, one refund approved"

    # The stored CSV holds the same figures, row by row, and adds up to them.
    rows = list(csvio.read(files.read(statement.csv_key, statement.csv_sha256).decode("utf-8")))
    header, body = rows[0], rows[1:]
    assert header[:3] == ["日期（北京时间）", "类型", "参考号"]
    charges = sum(csvio_amount(r[4]) for r in body[1:-1])
    credits = sum(csvio_amount(r[5]) for r in body[1:-1])
    assert charges == statement.charged_fen and credits == statement.paid_fen + statement.credited_fen
    assert csvio_amount(body[-1][6]) == statement.closing_fen
    assert [r[3] for r in body[1:-1] if r[1] == "订单"] == [o.number for o in in_month]
    assert history["after"].number not in "".join(",".join(r) for r in rows), "paid after midnight: next month"


def test_the_next_month_opens_where_the_last_closed(db_session, history):
    month, owner = history["month"], history["owner"]
    following = next_month(month)
    last = statements.read(owner.company_id, month)
    data = statements.read(owner.company_id, following)
    assert data.opening_fen == last.closing_fen == -history["refund"]
    assert [line.kind for line in data.lines] == ["refund", "order", "payment"], "paid back at 00:20, then the order"
    assert data.closing_fen == account_sum(owner.company_id, before=following.bounds()[1]) == 0
    assert data.lines[1].reference == history["after"].number


def test_a_company_sees_only_its_own_account(db_session, history):
    month, other = history["month"], history["other"]
    data = statements.read(other.company_id, month)
    assert [line.reference for line in data.lines if line.kind == "order"] == [history["others"].number]
    assert data.totals.charged_fen == history["others"].total_fen and data.closing_fen == 0


def csvio_amount(cell: str) -> int:
    """A CSV amount in yuan ("123.45") as fen; an empty cell is nothing."""
    from decimal import Decimal

    return int(Decimal(cell) * 100) if cell else 0
