"""Checks for Chinese business identifiers, phone numbers and same-site file paths."""
from __future__ import annotations

import re
import unicodedata

# GB 32100-2015: 18 characters from this alphabet, the last a check character.
_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]


def uscc_check_char(first17: str) -> str:
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(first17, _USCC_WEIGHTS))
    return _USCC_CHARS[(31 - total % 31) % 31]


def is_valid_uscc(code: str) -> bool:
    """True for a unified social credit code with a correct check character."""
    code = code.strip().upper()
    if len(code) != 18 or any(c not in _USCC_CHARS for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]


_CN_MOBILE = re.compile(r"^1[3-9][0-9]{9}$")
_E164 = re.compile(r"^\+[1-9][0-9]{6,14}$")


def normalize_phone(raw: str) -> str | None:
    """A phone number in E.164 (+8613800138000), or None when it is not one.

    A bare 11-digit Chinese mobile number is taken as +86. Full-width digits, as
    Chinese input methods type them, count as digits; other scripts' digits do not.
    """
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("0086"):
        digits = "+86" + digits[4:]
    if _CN_MOBILE.match(digits):
        return "+86" + digits
    if digits.startswith("+86") and not _CN_MOBILE.match(digits[3:]):
        return None
    return digits if _E164.match(digits) else None


# GB 11643-1999: 17 digits, then a check character from a weighted sum modulo 11.
_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"


def cn_id_check_char(first17: str) -> str:
    return _ID_CHECK[sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS)) % 11]


def normalize_cn_id(raw: str) -> str | None:
    """A resident identity card number (18 characters, GB 11643 check character), upper-cased;
    None when it is not one. Full-width characters, as input methods type them, count."""
    text = re.sub(r"\s", "", unicodedata.normalize("NFKC", raw or "")).upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", text):
        return None
    from datetime import date

    try:
        date(int(text[6:10]), int(text[10:12]), int(text[12:14]))
    except ValueError:
        return None
    return text if cn_id_check_char(text[:17]) == text[17] else None


def mask_cn_id(number: str) -> str:
    """How an identity number is shown: its first and last four characters."""
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


# One segment of a path: letters, digits, "_", "-" and ".", not starting with a dot, so
# neither "." nor ".." (nor a hidden file) and nothing percent-encoded that could decode
# into one.
_PATH_SEGMENT = re.compile(r"[\w-][\w.-]*")


def is_static_path(path: str) -> bool:
    """True for a clean path to a file under /static/ on this site.

    Each segment must be a plain name: no dot segments, no empty ones ("//" would make
    a browser read the rest as another host), no "%", backslash, query or fragment.
    """
    if not path.startswith("/static/"):
        return False
    return all(_PATH_SEGMENT.fullmatch(segment) for segment in path[len("/static/"):].split("/"))
