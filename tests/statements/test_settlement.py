"""Supplier settlement figures from the ledger: gross, refunds, commission, WeChat's fees and
payable per supplier and period, tying out to the books to the fen; confirming a period."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app import ledger
from app.core.errors import Conflict, DomainError
from app.core.money import round_half_up
from app.statements import settlement_services as services
from app.statements.settlement import Period, figures, refund_split, sale_split, split
from app.statements.settlement_models import SettlementStatus
from tests.statements.settlement_fixtures import at, books, payable, this_month  # noqa: F401


def _lines_of(order, supplier_id):
    return [line for line in order.lines if line.supplier_id == supplier_id]


def _gross(lines) -> int:
    return sum(line.goods_fen + line.shipping_fen + line.insurance_fen for line in lines)


def _commission(lines) -> int:
    return sum(round_half_up((line.goods_fen + line.shipping_fen + line.insurance_fen) * line.commission_rate)
               for line in lines)


def test_a_supplier_with_two_orders_one_shared_a_partial_refund_and_fees(books):
    period = this_month()
    a, b = books.bonded.id, books.new_york.id
    alone = books.paid([(books.shop.cny_offer.id, 2)], at(period))
    shared = books.paid([(books.shop.cny_offer.id, 1), (books.shop.usd_offer.id, 1)], at(period, hours=2))
    fee_alone, fee_shared = books.fee(alone, at(period, hours=3)), books.fee(shared, at(period, hours=3))
    refund = books.refund(shared, amount_fen=5_000)
    books.fee_returned(shared, refund, 30, at(period, hours=4))

    found = figures(period)
    mine, theirs = found[a], found[b]
    a_lines = _lines_of(alone, a) + _lines_of(shared, a)
    assert mine.gross == _gross(a_lines), "goods, shipping and insurance of both orders"
    assert theirs.gross == _gross(_lines_of(shared, b))

    # The refund took from each party in proportion; the suppliers' gross refunded is it less its tax.
    reversal = ledger.entry(f"refund-approved:{refund.out_refund_no}")
    tax_back = sum(p.amount_fen for p in reversal.postings if p.account.code == ledger.TAX_HELD)
    assert mine.refunds > 0 and theirs.refunds > 0
    assert mine.refunds + theirs.refunds == 5_000 - tax_back

    # Commission: charged on each supplier's own lines, less what the refund gave back; the
    # suppliers' commission adds up to what the ledger's commission account holds.
    assert mine.commission < _commission(a_lines)
    assert mine.commission + theirs.commission == -ledger.balance(ledger.COMMISSION)

    # The fee of the order A sold alone is A's; the shared order's fee is split by gross.
    share_a = round(Decimal(fee_shared) * _gross(_lines_of(shared, a)) / _gross(shared.lines))
    assert abs(mine.fees - (fee_alone + share_a - _returned_share(mine))) <= 1
    assert mine.fees + theirs.fees == fee_alone + fee_shared - 30, "every fen of the fees, and none twice"

    # Payable ties out to the ledger: what A's payable holds, less A's share of the fees.
    assert mine.payable == mine.gross - mine.refunds - mine.commission - mine.fees
    assert mine.payable == payable(a) - mine.fees and theirs.payable == payable(b) - theirs.fees
    kinds = [row.kind for row in mine.rows]
    assert kinds.count("sale") == 2 and kinds.count("refund") == 1 and kinds.count("fee") == 2
    assert "fee_returned" in kinds
    assert {row.order_number for row in mine.rows} == {alone.number, shared.number}
    # A sale and its fee name the WeChat transaction that paid the order; a refund its refund number.
    assert {row.reference for row in mine.rows if row.kind in ("sale", "fee")} == {
        books.transaction[alone.id], books.transaction[shared.id]}
    assert [row.reference for row in mine.rows if row.kind == "refund"] == [refund.out_refund_no]


def _returned_share(f) -> int:
    return -sum(row.fees for row in f.rows if row.kind == "fee_returned")


def test_an_entry_belongs_to_the_period_its_time_falls_in_beijing_time(db_session):
    october, november = Period.month(2026, 10), Period.month(2026, 11)
    last_moment = datetime(2026, 10, 31, 15, 59, 59, tzinfo=timezone.utc)    # 23:59:59 in Beijing
    first_moment = datetime(2026, 10, 31, 16, 0, tzinfo=timezone.utc)        # 00:00 on 1 November
    for key, when in (("late", last_moment), ("early", first_moment)):
        ledger.post(f"charge:{key}", "charge", [ledger.Line(ledger.CUSTOMER, 100, "company", 999_002),
                                                ledger.Line(ledger.SUPPLIER_PAYABLE, -100, "supplier", 999_001)],
                    memo=key, at=when)
    assert [r.at for r in figures(october)[999_001].rows] == [last_moment]
    assert [r.at for r in figures(november)[999_001].rows] == [first_moment]
    assert october.end == november.start == first_moment
    assert Period(date(2026, 11, 1), date(2026, 11, 15)).key == "2026-11-01_2026-11-15" and november.key == "2026-11"


@settings(max_examples=300, deadline=None)
@given(fee=st.integers(-10_000_000, 10_000_000), gross=st.lists(st.integers(0, 10 ** 9), min_size=1, max_size=6))
def test_a_fee_is_split_exactly_to_the_fen_in_proportion_to_gross(fee, gross):
    weights = dict(enumerate(gross, start=1))
    shares = split(fee, weights)
    if not any(gross):
        assert shares == {}, "nobody to charge: the platform keeps the fee"
        return
    assert sum(shares.values()) == fee
    whole = sum(gross)
    for supplier, share in shares.items():
        assert abs(Decimal(share) - Decimal(fee) * weights[supplier] / whole) < 1
    assert all(weights[s] > 0 for s in shares), "a supplier with no goods in the order pays no fee"


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.tuples(st.integers(1, 10 ** 8), st.integers(0, 1500)), min_size=1, max_size=5),
       taken_ratio=st.fractions(0, 1))
def test_commission_splits_tie_out_to_the_ledgers_credits(parts, taken_ratio):
    """Whatever the rates, gross less commission is what the ledger credited each supplier,
    and a refund's commission goes back exactly (to the fen) between its suppliers."""
    line_gross = {s: g for s, (g, _) in enumerate(parts, start=1)}
    cut = {s: round_half_up(Decimal(g) * bp / 10_000) for s, (g, bp) in enumerate(parts, start=1)}
    net = {s: line_gross[s] - cut[s] for s in line_gross}
    sale = sale_split(net, sum(cut.values()), line_gross)
    assert sale.gross == line_gross and sale.commission == cut
    taken = {s: int(n * taken_ratio) for s, n in net.items()}
    back_total = int(sum(cut.values()) * taken_ratio)
    back = refund_split(taken, back_total, sale)
    assert sum(back.commission.values()) == back_total
    assert all(back.gross[s] - back.commission[s] == taken[s] for s in taken)


def test_confirming_recharges_the_fees_and_leaves_the_payable_at_what_is_due(books, db_session):
    period = this_month()
    supplier = books.bonded.id
    order = books.paid([(books.shop.cny_offer.id, 3)], at(period))
    fee = books.fee(order, at(period, hours=2))
    settled = services.confirm(supplier, period, actor_id=None, now=period.settle_from)
    assert settled.fees_fen == fee and settled.amount_due_fen == settled.payable_fen > 0
    recharge = ledger.entry(f"settlement-fee:{supplier}:{period.key}")
    assert sum(p.amount_fen for p in recharge.postings) == 0 and ledger.trial_balance() == 0
    assert payable(supplier) == settled.amount_due_fen, "the books owe the supplier exactly what is to be paid"
    again = services.confirm(supplier, period, actor_id=None, now=period.settle_from)
    assert again.id == settled.id and payable(supplier) == settled.amount_due_fen, "fees recharged once"
    assert [row[1] for row in settled.rows] == ["sale", "fee"], "the statement's lines are frozen with it"


def test_a_period_is_settled_once_it_is_over_and_never_twice_over(books):
    period = this_month()
    books.paid([(books.shop.cny_offer.id, 1)], at(period))
    with pytest.raises(DomainError) as early:
        services.confirm(books.bonded.id, period, actor_id=None, now=period.settle_from - timedelta(seconds=1))
    assert early.value.code == "period_open"
    services.confirm(books.bonded.id, period, actor_id=None, now=period.settle_from)
    overlapping = Period(period.first + timedelta(days=1), period.last + timedelta(days=3))
    with pytest.raises(Conflict) as clash:
        services.confirm(books.bonded.id, overlapping, actor_id=None, now=overlapping.settle_from)
    assert clash.value.code == "overlap"


def test_a_period_owing_nothing_is_carried_into_the_next(books):
    """A supplier whose refunds outweigh its sales is not paid a negative amount: it is
    taken off what its next settlement is due."""
    period = this_month()
    before = Period.month_before(period.first)
    supplier = books.bonded.id
    order = books.paid([(books.shop.cny_offer.id, 3)], at(before, days=3))
    earlier = services.confirm(supplier, before, actor_id=None, now=before.settle_from)
    books.refund(order, amount_fen=order.total_fen // 2)        # approved this month
    settled = services.confirm(supplier, period, actor_id=None, now=period.settle_from)
    assert settled.payable_fen < 0 and settled.brought_forward_fen == earlier.amount_due_fen
    assert settled.amount_due_fen == earlier.amount_due_fen + settled.payable_fen
    assert earlier.status == SettlementStatus.CARRIED and earlier.carried_into_id == settled.id
    assert payable(supplier) == settled.amount_due_fen
