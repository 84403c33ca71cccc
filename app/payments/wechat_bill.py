"""Reading WeChat Pay's downloadbill text into `Bill` dataclasses.

The bill is CSV-like: a header row, detail rows whose every field starts with
a backtick, a summary header and a summary row. Columns are found by their
header names (WeChat adds columns over the years and the three bill types
differ), never by position. Amounts are yuan with two decimals and the fee has
five; both are read as exact integers, never through floats.

A day's bill can hold a hundred thousand rows, so the per-row work is kept to
what the row needs: one split, the cells looked up by precomputed index, and
amounts and times read without regular expressions per character or strptime.
"""
from __future__ import annotations

import gc
from datetime import date, datetime
from operator import itemgetter

from .gateway import BadReply, Bill, BillRow, BillSummary, BillType

_DIGITS = frozenset("0123456789")


def parse_decimal(text: str, places: int) -> int:
    """``"-12.34"`` with places=2 → -1234; exact, no float involved. BadReply otherwise."""
    text = text.strip()
    negative = text.startswith("-")
    whole, _, frac = text.lstrip("+-").partition(".")
    if (not (whole or frac) or not _DIGITS.issuperset(whole) or not _DIGITS.issuperset(frac)
            or text[1:2] in ("-", "+") and text[:1] in ("-", "+")):
        raise BadReply(f"not an amount: {text!r}")
    if len(frac) > places:
        raise BadReply(f"too many decimals in {text!r}")
    value = int(whole or "0") * 10 ** places + int((frac or "0").ljust(places, "0"))
    return -value if negative else value


def _fen(text: str) -> int:
    # The common shape ("12.34") without the general path's checks and padding.
    if text[-3:-2] == ".":
        digits = text[:-3] + text[-2:]
        if digits.isdigit() and digits.isascii():
            return int(digits)
    return parse_decimal(text, 2)


def _fee(text: str) -> int:
    # "0.06000" or "-0.15000": five decimals as WeChat prints fees.
    if text[-6:-5] == ".":
        digits = text[:-6] + text[-5:]
        if digits.isdigit() and digits.isascii():
            return int(digits)
        if digits[:1] == "-" and digits[1:].isdigit() and digits.isascii():
            return -int(digits[1:])
    return parse_decimal(text, 5)


def _time(text: str) -> datetime | None:
    """``2026-01-31 23:59:59`` (Beijing) as an aware datetime (UTC+08:00); None when blank."""
    if not text:
        return None
    if len(text) != 19 or text[10] != " ":
        raise BadReply(f"not a bill time: {text!r}")
    try:
        return datetime.fromisoformat(text + "+08:00")
    except ValueError:
        raise BadReply(f"not a bill time: {text!r}") from None


def _fields(line: str) -> list[str]:
    if not line.startswith("`"):
        raise BadReply("bill line without the leading backtick")
    return line[1:].split(",`")


class _Columns:
    """Where each column WeChat names sits in this bill's header."""

    TEXT = ("公众账号ID", "商户号", "微信订单号", "商户订单号", "用户标识", "交易类型", "交易状态", "付款银行",
            "货币种类", "商品名称", "商户数据包", "费率")   # in BillRow's order, after traded_at
    AMOUNTS = ("应结订单金额", "手续费", "订单金额")

    def __init__(self, head: list[str]) -> None:
        where = {name.strip(): i for i, name in enumerate(head)}
        missing = [name for name in ("交易时间", *self.TEXT, *self.AMOUNTS) if name not in where]
        if missing:
            raise BadReply(f"bill header lacks {', '.join(missing)}")
        self.width = len(head)
        self.time, self.state = where["交易时间"], where["交易状态"]
        self.settle, self.fee, self.total = (where[name] for name in self.AMOUNTS)
        self.text = itemgetter(*(where[name] for name in self.TEXT))
        # Refund columns: ALL and REFUND bills have them, SUCCESS bills do not.
        refund = ("微信退款单号", "商户退款单号", "退款金额", "退款状态")
        self.refund = itemgetter(*(where[n] for n in refund)) if all(n in where for n in refund) else None
        self.applied, self.succeeded = where.get("退款申请时间"), where.get("退款成功时间")

    def refund_row(self, v: list[str], head: tuple) -> BillRow:
        refund_id, out_refund_no, refund_fee, status = self.refund(v)
        return BillRow(*head, refund_id, out_refund_no, _fen(refund_fee), status,
                       _time(v[self.applied]) if self.applied is not None else None,
                       _time(v[self.succeeded]) if self.succeeded is not None else None)

    def rows(self, lines: list[str], first: int) -> tuple[list[BillRow], int]:
        """The detail rows from lines[first] on, and the index of the line after them.

        One loop with everything it uses in locals, since it runs once per trade of the day;
        a row is made as the tuple it is, without the named tuple's per-field argument handling.
        """
        rows: list[BillRow] = []
        append, text, width, refund = rows.append, self.text, self.width, self.refund
        at, state, settle, fee, total = self.time, self.state, self.settle, self.fee, self.total
        new, none, when = tuple.__new__, (None,) * 6, datetime.fromisoformat
        index = first
        try:
            for index in range(first, len(lines)):
                v = lines[index].split(",`")
                if v[0][:1] != "`":
                    break
                v[0] = v[0][1:]
                if len(v) != width:
                    raise BadReply(f"bill line {index + 1} has {len(v)} fields, header has {width}")
                settled = _fen(v[settle])
                traded = v[at]
                if len(traded) != 19 or traded[10] != " ":
                    raise ValueError(traded)
                # The order amount is the settled amount unless coupons paid part of it.
                head = (when(traded + "+08:00"),) + text(v) + (
                    settled, _fee(v[fee]), settled if v[total] == v[settle] else _fen(v[total]))
                append(new(BillRow, head + none) if v[state] != "REFUND" or refund is None
                       else self.refund_row(v, head))
            else:
                index = len(lines)
        except ValueError as e:
            raise BadReply(f"bill line {index + 1} has no trade time such as 2026-01-31 23:59:59: {e}") from None
        return rows, index


def _summary(head_line: str, line: str) -> BillSummary:
    cells = dict(zip((h.strip() for h in head_line.split(",")), _fields(line)))
    try:
        return BillSummary(
            count=int(parse_decimal(cells["总交易单数"], 0)),
            settlement_total=_fen(cells["应结订单总金额"]),
            refund_total=_fen(cells["退款总金额"]) if "退款总金额" in cells else None,
            fee_total_1e5_yuan=parse_decimal(cells["手续费总金额"], 5),
            order_total=_fen(cells["订单总金额"]),
            requested_refund_total=_fen(cells["申请退款总金额"]) if "申请退款总金额" in cells else None,
        )
    except KeyError as exc:
        raise BadReply(f"bill summary lacks {exc.args[0]}") from None


def parse_bill(text: str, bill_date: date, bill_type: BillType) -> Bill:
    """Parse bill text; raises BadReply when it does not have WeChat's shape."""
    lines = text.removeprefix("\ufeff").splitlines()   # (stripping first would copy the whole day)
    while lines and not lines[-1].strip():
        lines.pop()
    if len(lines) < 3 or lines[0].startswith("`"):
        raise BadReply("bill text has no header")
    # Every row made here lives on, so the cyclic collector, run again and again as they
    # pile up, would find nothing to free: a quarter of the time of a day's bill.
    collecting = gc.isenabled()
    gc.disable()
    try:
        rows, index = _Columns(lines[0].split(",")).rows(lines, 1)
    finally:
        if collecting:
            gc.enable()
    while index < len(lines) and not lines[index].strip():
        index += 1
    try:
        summary = _summary(lines[index], lines[index + 1])
    except IndexError:
        raise BadReply("bill text ends before its summary") from None
    if summary.count != len(rows):
        raise BadReply(f"bill summary counts {summary.count} rows, found {len(rows)}")
    return Bill(bill_date=bill_date, bill_type=bill_type, rows=rows, summary=summary, text=text)
