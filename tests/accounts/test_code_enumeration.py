"""Asking for a login code for a number with an account and for one without does the
same work in the request: one code row and one intent, the same SQL statements, the
same reply. Only the job, after the reply, finds whether anyone is to be texted."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts.models import PhoneCode
from app.core import jobs as core_jobs
from app.core.jobs import Intent
from app.notifications.models import SmsMessage

KNOWN, UNKNOWN = "+8613600008101", "+8613600008102"


def _page(response, phone: str) -> str:
    """The reply as the user sees it, with what differs between any two browsers left out."""
    html = response.get_data(as_text=True).replace(phone, "#")
    return re.sub(r'(X-CSRFToken": "|name="csrf_token"[^>]*value=")[^"]+', r"\1", html)


def _ask(client, count_queries, phone: str):
    token = client.csrf_token()  # outside the count: only the request itself is compared
    with count_queries() as seen:
        response = client.post("/login/code/send", data={"phone": phone, "csrf_token": token}, csrf=False)
    return response, seen


def test_a_number_with_an_account_and_one_without_cost_the_request_the_same_statements(
        client, new_client, db_session, make_user, count_queries, queue_name, outbox_log):
    make_user(phone=KNOWN, verified_phone=KNOWN)
    known, known_sql = _ask(client, count_queries, KNOWN)
    unknown, unknown_sql = _ask(new_client(), count_queries, UNKNOWN)

    assert known.status_code == unknown.status_code == 200
    assert _page(known, KNOWN) == _page(unknown, UNKNOWN)
    assert known_sql == unknown_sql, "the request does the same work whoever holds the number"
    assert sum(s.lstrip().startswith("INSERT INTO intents") for s in known_sql) == 1
    assert not any("sms_messages" in s for s in known_sql), "no message is written in the request"

    # The job decides: the account's number gets its code, the other nothing.
    for phone in (KNOWN, UNKNOWN):
        row = db_session.scalar(select(PhoneCode).where(PhoneCode.phone == phone))
        intent = db_session.scalar(select(Intent).where(Intent.key == f"sms-code:{row.id}"))
        assert core_jobs.run(intent.id) == "done"
    assert db_session.scalar(select(SmsMessage.phone).where(SmsMessage.event == "login_code")) == KNOWN
    assert db_session.scalar(select(SmsMessage).where(SmsMessage.phone == UNKNOWN)) is None
