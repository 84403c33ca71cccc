"""Words for reconciliation and the ledger, shared by the pages and the CSV exports."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as _lp

from app import ledger

RUN_STATUS = {"queued": _l("In progress"), "done": _l("Done"), "failed": _l("Failed")}
EXCEPTION_STATUS = {"open": _lp("exception", "Open"), "repaired": _l("Repaired"),
                    "resolved": _lp("exception", "Resolved")}
OUTCOMES = {
    "missing_here": _l("Missing here"),
    "missing_remote": _l("Missing at WeChat"),
    "amount_mismatch": _l("Amount differs"),
    "state_mismatch": _l("State differs"),
}
KINDS = {"payment": _l("Payment"), "refund": _l("Refund")}
# What a query (or the run) found out about an exception.
FINDINGS = {
    "unknown_here": _l("No order here has this number."),
    "wechat_paid": _l("WeChat Pay confirms the payment."),
    "wechat_not_paid": _l("WeChat Pay says it is not paid."),
    "wechat_unknown": _l("WeChat Pay does not know it."),
    "query_failed": _l("WeChat Pay did not answer the query: re-query later."),
    "not_queried": _l("Not queried yet: re-query it."),
    "amount_differs": _l("WeChat Pay reports an amount other than the order's."),
    "not_recorded": _l("WeChat Pay confirms it, but it could not be recorded."),
    "not_confirmed": _l("WeChat Pay has not confirmed a final state yet."),
    "refund_settled": _l("The refund was settled as WeChat Pay reports it."),
    "still_differs": _l("The refund's state here still differs from the bill's."),
    "billed_another_day": _l("WeChat Pay billed it on another day."),
    "matched_later": _l("It ties out now."),
}
# Our states, as the bill's columns would name them.
OUR_STATES = {"paid": _l("Paid"), "requested": _l("Requested"), "approved": _l("Approved"),
              "processing": _l("Processing"), "succeeded": _l("Refunded"), "failed": _l("Failed"),
              "rejected": _l("Rejected")}
ACCOUNTS = {
    ledger.CLEARING: _l("WeChat Pay clearing"),
    ledger.SUPPLIER_PAYABLE: _l("Payable to suppliers"),
    ledger.TAX_HELD: _l("Import tax held for customs"),
    ledger.COMMISSION: _l("Commission revenue"),
    ledger.REFUNDS_DUE: _l("Refunds due to payers"),
    ledger.WECHAT_FEES: _l("WeChat Pay fees"),
    ledger.BANK: _l("Bank deposits"),
}
ENTRY_KINDS = {"payment": _l("Payment"), "extra_payment": _l("Paid twice"), "refund_approved": _l("Refund approved"),
               "refund": _l("Refund paid out"), "wechat_fee": _l("WeChat Pay fee"),
               "wechat_fee_refund": _l("WeChat Pay fee returned")}


def label(table: dict, value: str | None) -> str:
    """The words for `value` in `table`, or the value itself when it has none (a new kind)."""
    if value is None:
        return ""
    return str(table.get(value, value))


def table_label(table: str, value: str | None) -> str:
    """`label` for templates: the table by its name here ("OUTCOMES", "FINDINGS", …)."""
    return label(globals()[table], value)
