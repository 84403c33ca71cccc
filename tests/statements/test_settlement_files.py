"""A settlement's statement as PDF and CSV: made once by its job, stored with a checksum,
the supplier's name as real text in the PDF, and the CSV adding up to the amount due."""
from __future__ import annotations

import re
import subprocess
from decimal import Decimal

import pytest

from app.core import csvio, files
from app.core.jobs import Intent
from app.extensions import db
from app.statements import settlement_services as services
from app.statements.settlement_files import make_files
from tests.statements.settlement_fixtures import at, books, this_month  # noqa: F401


@pytest.fixture
def settled(books, db_session):
    period = this_month()
    order = books.paid([(books.shop.cny_offer.id, 2), (books.shop.usd_offer.id, 1)], at(period))
    books.fee(order, at(period, hours=5))
    books.refund(order, amount_fen=3_000)
    return services.confirm(books.bonded.id, period, actor_id=None, now=period.settle_from)


def test_confirming_promises_the_files_and_the_job_makes_them_once(settled, db_session):
    intent = db_session.scalar(db.select(Intent).where(Intent.key == f"settlement-files:{settled.id}"))
    assert intent is not None and intent.task.endswith("settlement_files:make_files")
    assert settled.pdf_key is None
    make_files(settled.id)
    first = (settled.pdf_key, settled.csv_key)
    assert all(first) and files.read(settled.pdf_key, settled.pdf_sha256).startswith(b"%PDF")
    make_files(settled.id)
    assert (settled.pdf_key, settled.csv_key) == first, "made once"


def test_the_pdf_holds_the_suppliers_name_and_the_amount_due_as_text(settled, client, make_user, login, tmp_path):
    make_files(settled.id)
    login(client, make_user(role=None, staff_role="finance_admin"))
    page = client.get(f"/finance/settlements/{settled.id}/files").get_data(as_text=True)
    assert f"/finance/settlements/{settled.id}.pdf" in page
    response = client.get(f"/finance/settlements/{settled.id}.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    target = tmp_path / "settlement.pdf"
    target.write_bytes(response.get_data())
    text = subprocess.run(["pdftotext", "-layout", str(target), "-"], capture_output=True, text=True,
                          check=True).stdout
    assert settled.supplier_name in text, "the supplier's name (Chinese and English) is real text"
    amount = f"¥{Decimal(settled.amount_due_fen).scaleb(-2):,.2f}"
    assert "应付金额 Amount due" in text and amount in text
    assert re.search(r"(?<!\d)1\s*/\s*1(?!\d)", text) and "\ufffd" not in text, "one page, numbered"


def test_the_csv_lines_add_up_to_the_amount_due(settled, client, make_user, login):
    make_files(settled.id)
    login(client, make_user(role=None, staff_role="admin"))
    response = client.get(f"/finance/settlements/{settled.id}.csv")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    rows = list(csvio.read(response.get_data(as_text=True)))
    lines = [r for r in rows[1:] if r[0]]
    kinds = [r[1] for r in lines]
    assert kinds.count("销售 Sale") == 1 and kinds.count("退款 Refund") == 1
    payable = sum(Decimal(r[8]) for r in lines)
    assert payable == Decimal(settled.payable_fen).scaleb(-2)
    assert rows[-1][1] == "应付金额 Amount due" and Decimal(rows[-1][8]) == Decimal(settled.amount_due_fen).scaleb(-2)


def test_a_file_altered_on_disk_is_not_served(settled, client, make_user, login):
    make_files(settled.id)
    files.path_of(settled.csv_key).write_bytes(b"tampered")
    login(client, make_user(role=None, staff_role="finance_admin"))
    assert client.get(f"/finance/settlements/{settled.id}.csv").status_code == 404


def test_a_statement_whose_job_gave_up_says_so_instead_of_waiting_forever(settled, client, make_user, login):
    from app.core.jobs import IntentStatus

    login(client, make_user(role=None, staff_role="finance_admin", language="en"))
    url = f"/finance/settlements/{settled.id}/files"
    assert 'hx-trigger="every 2s"' in client.get(url).get_data(as_text=True), "the page waits for the job"
    intent = db.session.scalar(db.select(Intent).where(Intent.key == f"settlement-files:{settled.id}"))
    intent.status = IntentStatus.DEAD
    db.session.flush()
    page = client.get(url, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "could not be made" in page and "hx-trigger" not in page
