"""A confirmed settlement's statement as PDF and CSV, made once by a job and stored (core.files).

The statement goes to a supplier abroad as well as to our own finance staff, so its words
are in Chinese and English together, whoever confirmed it. It shows the lines frozen when
the settlement was confirmed, so it says the same whenever it is made.
"""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from app.core import csvio, files
from app.core.jobs import task
from app.core.models import utcnow
from app.core.money import to_major
from app.extensions import db
from app.statements import pdf
from app.statements.settlement import CHINA, Period, Row
from app.statements.settlement_models import Settlement

AREA = "settlements"
KINDS = {"sale": "销售 Sale", "refund": "退款 Refund", "fee": "微信支付手续费 WeChat Pay fee",
         "fee_returned": "退还手续费 Fee returned"}
HEADER = ["日期 Date", "类型 Type", "订单 Order", "参考号 Reference", "货款 Gross (CNY)", "退款 Refunds (CNY)",
          "佣金 Commission (CNY)", "手续费 WeChat Pay fees (CNY)", "应付 Payable (CNY)"]


def _yuan(fen: int) -> Decimal:
    return to_major(fen, "CNY")


def csv_rows(settlement: Settlement, rows: list[Row]) -> list[list]:
    """The statement's lines, then its totals, the amount brought forward and the amount due."""
    out: list[list] = [[r.at.astimezone(CHINA).strftime("%Y-%m-%d %H:%M"), KINDS.get(r.kind, r.kind), r.order_number,
                        r.reference, _yuan(r.gross), _yuan(r.refunds), _yuan(r.commission), _yuan(r.fees),
                        _yuan(r.payable)] for r in rows]
    s = settlement
    out.append(["", "合计 Total", "", "", _yuan(s.gross_fen), _yuan(s.refunds_fen), _yuan(s.commission_fen),
                _yuan(s.fees_fen), _yuan(s.payable_fen)])
    out.append(["", "上期结转 Brought forward", "", "", "", "", "", "", _yuan(s.brought_forward_fen)])
    out.append(["", "应付金额 Amount due", "", "", "", "", "", "", _yuan(s.amount_due_fen)])
    return out


def statement_pdf(settlement: Settlement, *, issued_at: datetime | None = None) -> bytes:
    rows = [Row.of_json(r) for r in settlement.rows]
    return pdf.render("statements/pdf/settlement.html", s=settlement, rows=rows, kinds=KINDS,
                      period=Period(settlement.period_first, settlement.period_last),
                      issued_at=(issued_at or utcnow()).astimezone(CHINA))


def statement_csv(settlement: Settlement) -> bytes:
    rows = [Row.of_json(r) for r in settlement.rows]
    return (csvio.BOM + csvio.write(HEADER, csv_rows(settlement, rows))).encode("utf-8")


def file_name(settlement: Settlement, suffix: str) -> str:
    period = Period(settlement.period_first, settlement.period_last)
    return f"settlement-{settlement.supplier_id}-{period.key}{suffix}"


def intent_key(settlement_id: int) -> str:
    return f"settlement-files:{settlement_id}"


def files_state(settlement: Settlement) -> str:
    """ready, making, or failed (its job gave up after its retries: the log says why)."""
    from app.core.jobs import IntentStatus, status_of

    if settlement.pdf_key:
        return "ready"
    return "failed" if status_of(intent_key(settlement.id)) == IntentStatus.DEAD else "making"


@task(retries=3, timeout=900)
def make_files(settlement_id: int) -> None:
    """Make and store the statement's PDF and CSV, once (a second run finds them made)."""
    settlement = db.session.get(Settlement, settlement_id, with_for_update=True, populate_existing=True)
    if settlement is None or settlement.pdf_key:
        return
    made = files.store(AREA, statement_pdf(settlement), suffix=".pdf")
    table = files.store(AREA, statement_csv(settlement), suffix=".csv")
    settlement.pdf_key, settlement.pdf_sha256 = made.key, made.sha256
    settlement.csv_key, settlement.csv_sha256 = table.key, table.sha256
    db.session.flush()
