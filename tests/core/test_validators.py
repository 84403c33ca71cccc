"""Phone numbers and credit codes as people type them."""
from __future__ import annotations

import pytest

from app.core.validators import is_valid_uscc, normalize_phone, uscc_check_char


@pytest.mark.parametrize("raw, expected", [
    ("13800138000", "+8613800138000"),
    ("138 0013 8000", "+8613800138000"),
    ("+86 138-0013-8000", "+8613800138000"),
    ("008613800138000", "+8613800138000"),
    ("１３８００１３８０００", "+8613800138000"),   # full-width, from a Chinese IME
    ("＋８６１３８００１３８０００", "+8613800138000"),
    ("+14155550100", "+14155550100"),
])
def test_phone_numbers_people_type(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "+86 12800138000", "+1٣٨٠٠١٣٨٠٠٠", "²3800138000",
                                 "1380013800x", "+" + "1" * 20])
def test_not_phone_numbers(raw):
    assert normalize_phone(raw) is None


def test_credit_code_check_character():
    first17 = "91440300MA5DKJ01X"[:17]
    good = first17 + uscc_check_char(first17)
    assert is_valid_uscc(good) and is_valid_uscc(good.lower())
    wrong = first17 + ("0" if good[-1] != "0" else "1")
    assert not is_valid_uscc(wrong)
    assert not is_valid_uscc(good[:-1]) and not is_valid_uscc(good.replace("9", "I", 1))
