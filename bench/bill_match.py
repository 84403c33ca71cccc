"""A day of 100,000 trades: WeChat Pay's ALL bill parsed and matched with our records, as a ratio
to a bare `csv.reader` pass over the same file, with each one's peak memory.

The bill is written in WeChat's format by the simulator's own helpers (backticked fields,
yuan, the fee with five decimals, CRLF, the summary rows): 2% of its rows are refunds, some
payments used a coupon. Our side is what app/statements/reconciliation_records.py hands the
matcher (one plain row per payment and refund), built in memory so that the figure is the
parse and the match alone; a handful of rows are missing on either side or billed for another
amount, so every outcome is exercised. Each measurement runs in a fresh process (its CPU time
for the work, and its peak RSS), alternating subject and baseline; the best of each is kept.
Goal: parse + match ÷ csv.reader ≤ 3.

    .venv/bin/python bench/bill_match.py        (make bench runs it; BILL_ROWS, BILL_REPEAT change it)
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ROWS = int(os.environ.get("BILL_ROWS", 100_000))
REPEAT = int(os.environ.get("BILL_REPEAT", 5))
DAY = date(2026, 3, 1)
REFUND_EVERY, COUPON_EVERY = 50, 40          # 2% refunds, 2.5% paid partly with a coupon
MISSING_HERE_EVERY, UNBILLED_EVERY, MISBILLED_EVERY = 997, 991, 983


def _trade(i: int) -> tuple[str, str, int]:
    """Trade i's transaction id, out_trade_no and amount in fen."""
    return f"4200{DAY:%Y%m%d}{i:016d}", f"KJ260301{i:08d}N1", 990 + (i * 7919) % 250_000


def write_bill(path: Path) -> None:
    from sandbox.wechatpay.bill import HEAD_ALL, SUMMARY_ALL, fee_fen, fee_text, yuan

    start = datetime(DAY.year, DAY.month, DAY.day)
    totals = {"settle": 0, "refund": 0, "fee": 0, "order": 0}
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(",".join(HEAD_ALL) + "\r\n")
        for i in range(ROWS):
            tid, number, fen = _trade(i)
            if i % MISBILLED_EVERY == 0:
                fen += 100
            at = (start + timedelta(seconds=i * 86_399 // ROWS)).strftime("%Y-%m-%d %H:%M:%S")
            cells = dict.fromkeys(HEAD_ALL, "")
            cells.update({"交易时间": at, "公众账号ID": "wx8888888888888888", "商户号": "1900000109", "特约商户号": "0",
                          "微信订单号": tid, "商户订单号": number, "用户标识": "oUser" + str(i % 997),
                          "交易类型": "NATIVE", "付款银行": "OTHERS", "货币种类": "CNY",
                          "商品名称": "保湿面霜 Moisturising cream × 2", "商户数据包": number[:-2], "费率": "0.60%"})
            if i % REFUND_EVERY == 0:
                fee = -fee_fen(fen)
                cells.update({"交易状态": "REFUND", "应结订单金额": "0.00", "代金券金额": "0.00", "订单金额": "0.00",
                              "微信退款单号": f"5000{i:025d}", "商户退款单号": f"R{tid[-20:]}01",
                              "退款金额": yuan(fen), "申请退款金额": yuan(fen), "充值券退款金额": "0.00",
                              "退款类型": "ORIGINAL", "退款状态": "SUCCESS", "手续费": fee_text(fee)})
                totals["refund"] += fen
            else:
                coupon = 500 if i % COUPON_EVERY == 0 else 0
                fee = fee_fen(fen - coupon)
                cells.update({"交易状态": "SUCCESS", "应结订单金额": yuan(fen - coupon), "代金券金额": yuan(coupon),
                              "订单金额": yuan(fen), "微信退款单号": "0", "商户退款单号": "0", "退款金额": "0.00",
                              "申请退款金额": "0.00", "充值券退款金额": "0.00", "手续费": fee_text(fee)})
                totals["settle"] += fen - coupon
                totals["order"] += fen
            totals["fee"] += fee
            out.write(",".join("`" + cells[h] for h in HEAD_ALL) + "\r\n")
        out.write(",".join(SUMMARY_ALL) + "\r\n")
        out.write(",".join("`" + v for v in (str(ROWS), yuan(totals["settle"]), yuan(totals["refund"]), "0.00",
                                              fee_text(totals["fee"]), yuan(totals["order"]),
                                              yuan(totals["refund"]))) + "\r\n")


def ours():
    """Our records for the day, as the loader returns them: some missing, one paid elsewhere."""
    from app.statements.reconciliation_match import OurPayment, OurRefund

    payments, refunds = {}, {}
    for i in range(ROWS):
        tid, number, fen = _trade(i)
        if i % REFUND_EVERY == 0:
            refunds[f"R{tid[-20:]}01"] = OurRefund(i, f"R{tid[-20:]}01", f"5000{i:025d}", fen, "succeeded", number,
                                                   i, 1)
        elif i % MISSING_HERE_EVERY:
            coupon = 500 if i % COUPON_EVERY == 0 else 0
            payments[tid] = OurPayment(tid, number, fen, fen - coupon, i, 1, None)
    for i in range(ROWS, ROWS + ROWS // UNBILLED_EVERY):   # ours, not in WeChat's bill
        tid, number, fen = _trade(i)
        payments[tid] = OurPayment(tid, number, fen, fen, i, 1, None)
    return payments, refunds


def child(kind: str, path: str) -> None:
    """One measurement in this process: CPU seconds of the work and peak RSS, as JSON."""
    import csv

    if kind == "csv":
        prepared = None
    else:
        from app.payments.gateway import BillType
        from app.payments.wechat_bill import parse_bill
        from app.statements.reconciliation_match import match, missing_remote_payments

        prepared = ours()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.process_time()
    if kind == "csv":
        with open(path, encoding="utf-8", newline="") as f:
            for _row in csv.reader(f):
                pass
    else:
        payments, refunds = prepared
        bill = parse_bill(Path(path).read_bytes().decode("utf-8"), DAY, BillType.ALL)
        result = match(bill.rows, payments, refunds)
        remote = missing_remote_payments(result.unbilled.values())
    seconds = time.process_time() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    outcome = {} if kind == "csv" else {
        "rows": len(result.rows), "matched": result.matched, "findings": len(result.findings) + len(remote),
        "fees": len(result.fees())}
    print(json.dumps({"seconds": seconds, "rss_before_mib": before / 1024, "rss_peak_mib": peak / 1024, **outcome}))


def measure(kind: str, path: Path) -> dict:
    done = subprocess.run([sys.executable, __file__, "--child", kind, str(path)], cwd=ROOT, capture_output=True,
                          text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    if done.returncode:
        raise SystemExit(f"{kind} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kj-bill-") as folder:
        path = Path(folder) / "bill.csv"
        write_bill(path)
        size = path.stat().st_size
        runs: dict[str, list[dict]] = {"csv": [], "match": []}
        for _ in range(REPEAT):
            for kind in runs:
                runs[kind].append(measure(kind, path))
    best = {kind: min(found, key=lambda r: r["seconds"]) for kind, found in runs.items()}
    bare, subject = best["csv"], best["match"]
    print(f"bill: {ROWS:,} rows, {size / 1e6:.1f} MB; best of {REPEAT} runs each, CPU seconds of a fresh process")
    print(f"  csv.reader pass       {bare['seconds']:.3f} s   peak RSS {bare['rss_peak_mib']:.0f} MiB "
          f"(interpreter {bare['rss_before_mib']:.0f} MiB)")
    print(f"  parse + match         {subject['seconds']:.3f} s   peak RSS {subject['rss_peak_mib']:.0f} MiB "
          f"(with the app and our records loaded {subject['rss_before_mib']:.0f} MiB)")
    print(f"  outcome: {subject['rows']:,} rows, {subject['matched']:,} matched, {subject['findings']} exceptions, "
          f"{subject['fees']:,} fees to book")
    ratio = subject["seconds"] / bare["seconds"]
    print(f"parse + match ÷ csv.reader = {ratio:.2f} (goal ≤ 3): {'met' if ratio <= 3 else 'NOT met'}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
    else:
        main()
