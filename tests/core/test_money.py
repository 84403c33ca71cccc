"""Money in one place: the currency registry, parsing, formatting, and splitting an amount."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core import money, numbers


def test_one_registry_knows_each_currencys_minor_units():
    assert (money.minor_digits("CNY"), money.minor_digits("JPY"), money.minor_digits("KRW")) == (2, 0, 0)
    assert money.CODES[-1] == "CNY" and len(set(money.CODES)) == len(money.CODES)
    with pytest.raises(money.MoneyError):
        money.minor_digits("XXX")


def test_parse_and_format_agree_to_the_minor_unit():
    assert money.parse("12.50", "USD") == 1250 and money.parse("1200", "JPY") == 1200
    assert money.format_money(123450, "CNY") == "¥1,234.50" and money.format_money(1200, "JPY") == "JP¥1,200"
    assert money.format_money(-500, "CNY") == "-¥5.00"
    with pytest.raises(numbers.NumberError):
        money.parse("12.5", "JPY")
    with pytest.raises(numbers.NumberError):
        money.parse("1e3", "CNY")


def test_to_fen_is_exact():
    assert money.to_fen(1250, "USD", Decimal("7.1")) == Decimal("8875.00")
    assert money.to_fen(1200, "JPY", Decimal("0.05")) == Decimal("6000.00")


def test_allocate_splits_in_proportion_and_adds_up():
    assert money.allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert money.allocate(1000, [700, 300]) == [700, 300], "whole shares are kept exactly"
    assert money.allocate(5, [0, 3, 2]) == [0, 3, 2]
    assert money.allocate(-100, [1, 1, 1]) == [-34, -33, -33], "a reversal mirrors the split"
    assert money.allocate(0, [0, 0]) == [0, 0]
    with pytest.raises(money.MoneyError):
        money.allocate(1, [0, 0])


@given(st.integers(min_value=-10**12, max_value=10**12),
       st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=12).filter(any))
def test_allocate_always_adds_up_and_stays_within_a_unit(total, weights):
    parts = money.allocate(total, weights)
    assert sum(parts) == total
    whole = sum(weights)
    for part, w in zip(parts, weights):
        exact = Decimal(total) * w / whole
        assert abs(Decimal(part) - exact) < 1
        if w == 0:
            assert part == 0


def test_round_to_total_keeps_each_line_closest():
    # goods 26712.75 and shipping 5698.72 fen make a dutiable value of 32411 fen
    assert money.round_to_total([Decimal("26712.75"), Decimal("5698.72"), Decimal(0)], 32411) == [26713, 5698, 0]


@given(st.integers(min_value=-10**12, max_value=10**12), st.sampled_from(["USD", "JPY", "CNY", "KRW"]),
       st.decimals(min_value=Decimal("0.00000001"), max_value=Decimal(100000), places=8))
def test_the_fast_converter_rounds_exactly_as_round_half_up(minor, code, rate):
    assert money.fen_converter(code, rate)(minor) == money.round_half_up(money.to_fen(minor, code, rate))
