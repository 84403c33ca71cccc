"""The order desk: who reaches it, the list's filters and fixed queries, its formula-safe CSV,
one order with everything recorded about it, and each action with and without htmx, audited,
and refused in words (both languages) when the order's state does not allow it."""
from __future__ import annotations

import csv
import io
import re

import pytest
from sqlalchemy import select

from app.core import states
from app.core.audit import AuditEntry
from app.orders import aftersale, services
from app.orders.models import OrderState
from app.payments import TradeType, prepay
from app.payments.models import (DECLARATION_MACHINE, Declaration, DeclarationState, Payment, Refund,
                                 RefundStatus)
from tests.orders.conftest import make_consignee
from tests.orders.test_refund_books import _paid

HX = {"HX-Request": "true"}


@pytest.fixture
def desk(client, make_user, login):
    """A signed-in operator (English pages) and the user behind it."""
    ops = make_user(role=None, staff_role="ops", language="en", name="Ops Zhao")
    login(client, ops)
    client.user = ops
    return client


def audited(subject, action: str) -> list[AuditEntry]:
    from app.extensions import db

    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.subject_type == subject.__tablename__,
                                                            AuditEntry.subject_id == subject.id,
                                                            AuditEntry.action == action)))


def clear_customs(order, cert: str = "SAME", final=DeclarationState.SUCCEEDED) -> None:
    """What customs answers, recorded as customs.check records it."""
    from app.extensions import db

    for declaration in aftersale.declarations(order):
        db.session.refresh(declaration)
        states.apply(DECLARATION_MACHINE, declaration, DeclarationState.SUBMITTED)
        declaration.cert_check_result = cert
        states.apply(DECLARATION_MACHINE, declaration, final)
    db.session.flush()


def test_only_the_desks_roles_reach_it(client, new_client, db_session, shop, buyer, make_user, login):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    refund = aftersale.request_refund(order, reason="x", requested_by_id=buyer.id, amount_fen=100)
    pages = ["/ops/orders", f"/ops/orders/{order.id}", "/ops/orders/exceptions", "/ops/orders/export.csv"]
    assert client.get(pages[0]).status_code == 302, "signed out: to the sign-in page"
    for user in (buyer, make_user(role=None, staff_role="agent")):
        browser = new_client()
        login(browser, user)
        assert [browser.get(p).status_code for p in pages] == [403] * 4
        assert browser.post(f"/ops/orders/{order.id}/refunds/{refund.id}/approve").status_code == 403
        assert "/ops/orders" not in browser.get("/").get_data(as_text=True)
    for role in ("ops", "finance_admin", "admin"):
        browser = new_client()
        login(browser, make_user(role=None, staff_role=role))
        assert [browser.get(p).status_code for p in pages] == [200] * 4, role
        assert 'href="/ops/orders"' in browser.get("/").get_data(as_text=True), "in the menu"
    db_session.refresh(refund)
    assert refund.status == RefundStatus.REQUESTED


def test_the_list_filters_on_every_field_and_explains_a_bad_one(desk, db_session, shop, buyer):
    asked = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    aftersale.request_refund(asked, reason="x", requested_by_id=buyer.id, amount_fen=100)
    clear_customs(asked)
    unpaid = services.create(buyer, buyer.company_id, [(shop.usd_offer.id, 1)])
    general = _paid(db_session, buyer, [(shop.general_offer.id, 1)])

    def shown(query: str) -> set[str]:
        html = desk.get("/ops/orders?" + query).get_data(as_text=True)
        return {o.number for o in (asked, unpaid, general) if f'data-order="{o.number}"' in html}

    assert shown("") == {asked.number, unpaid.number, general.number}
    assert shown("state=pending_payment") == {unpaid.number}
    assert shown("supplier=%E7%BA%BD%E7%BA%A6+ny") == {unpaid.number, general.number}, "纽约 NY, any case"
    assert shown("payment=paid") == {asked.number, general.number}
    assert shown("customs=succeeded") == {asked.number}
    assert shown("customs=none") == {unpaid.number, general.number}
    assert shown("refund=requested") == {asked.number}
    assert shown(f"q={general.number[:-2].lower()}") == {general.number}
    assert shown("from=2000-01-01&to=2000-01-02") == set()
    bad = desk.get("/ops/orders?refund=lost&state=paid")
    assert bad.status_code == 200 and "Choose one from the list." in bad.get_data(as_text=True)
    fragment = desk.get("/ops/orders?payment=open", headers=HX).get_data(as_text=True)
    assert "<html" not in fragment and unpaid.number in fragment and asked.number not in fragment


def test_a_page_is_a_fixed_number_of_queries_however_many_it_shows(desk, db_session, shop, buyer, count_queries):
    first = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    aftersale.request_refund(first, reason="x", requested_by_id=buyer.id, amount_fen=100)
    with count_queries() as few:
        assert desk.get("/ops/orders").status_code == 200
    made = [_paid(db_session, buyer, [(shop.usd_offer.id, 1), (shop.cny_offer.id, 1)]) for _ in range(22)]
    for order in made[:5]:
        aftersale.request_refund(order, reason="x", requested_by_id=buyer.id, amount_fen=100)
    with count_queries() as many:
        page = desk.get("/ops/orders").get_data(as_text=True)
    assert len(many) == len(few), "\n".join(many)
    assert made[-1].number in page and first.number not in page
    older = re.search(r'href="(/ops/orders\?before=\d+)"', page).group(1)
    assert first.number in desk.get(older).get_data(as_text=True)


def test_the_csv_export_is_formula_safe(desk, db_session, shop, make_company, make_user):
    company = make_company(name='=HYPERLINK("http://evil.example","x")')
    owner = make_user(role="owner", company=company)
    make_consignee(owner)
    order = _paid(db_session, owner, [(shop.cny_offer.id, 2)])
    aftersale.request_refund(order, reason="x", requested_by_id=owner.id, amount_fen=1_000)
    response = desk.get("/ops/orders/export.csv?payment=paid")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    header, *rows = list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    [row] = [r for r in rows if r[0] == order.number]
    assert row[header.index("Company")] == "'" + company.name, "a spreadsheet shows it as text"
    assert row[header.index("Total (CNY)")] == f"{order.total_fen / 100:.2f}"
    assert row[header.index("Refunds")] == "Requested 10.00" and row[header.index("Payment")] == "Paid"
    assert row[header.index("WeChat Pay transaction")].startswith("42")


def test_the_order_shows_notifies_polls_ledger_and_audit_log(desk, db_session, shop, buyer, wechat):
    from tests.orders.test_payment_notify import NOTIFY, notify_body

    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    paid = wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url}).json()
    tampered = notify_body(attempt.out_trade_no, order.total_fen + 1, transaction_id=paid["transaction_id"])
    desk.post(NOTIFY, data=tampered, content_type="text/xml", csrf=False)
    body = notify_body(attempt.out_trade_no, order.total_fen, transaction_id=paid["transaction_id"])
    desk.post(NOTIFY, data=body, content_type="text/xml", csrf=False)
    from app.payments import services as pay

    pay.query(attempt, "poll")
    html = desk.get(f"/ops/orders/{order.id}").get_data(as_text=True)
    assert 'data-outcome="mismatch"' in html and 'data-outcome="applied"' in html
    assert paid["transaction_id"] in html and "&lt;xml&gt;" in html, "the notify's body as received"
    assert re.search(r'data-poll="\d+"', html) and "SUCCESS" in html
    assert f'data-entry="payment:{paid["transaction_id"]}"' in html and "wechat_clearing" in html
    assert 'data-audit="order:state"' in html and "pending_payment → paid" in html


def test_requery_records_a_payment_whose_notify_never_came_then_is_refused(desk, db_session, shop, buyer, wechat):
    order = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
    answered = desk.post(f"/ops/orders/{order.id}/requery", headers=HX)
    assert answered.status_code == 200 and "WeChat Pay reports the order not paid." in answered.get_data(as_text=True)
    wechat.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
    paid = desk.post(f"/ops/orders/{order.id}/requery")
    assert paid.status_code == 303
    db_session.refresh(order)
    assert order.state == OrderState.PAID
    assert db_session.scalar(select(Payment.received_via)) == "query"
    assert "WeChat Pay reports the order paid" in desk.get(f"/ops/orders/{order.id}").get_data(as_text=True)
    assert [e.note.endswith("NOTPAY") for e in audited(order, "requery")] == [True, False]
    assert all(e.actor_id == desk.user.id for e in audited(order, "requery"))
    again = desk.post(f"/ops/orders/{order.id}/requery")
    assert again.status_code == 409 and "payment is recorded already" in again.get_data(as_text=True)
    desk.user.language = "zh_CN"
    db_session.flush()
    again = desk.post(f"/ops/orders/{order.id}/requery", headers=HX)
    assert again.status_code == 409 and "该订单的支付已入账" in again.get_data(as_text=True)


def test_approve_and_reject_with_and_without_htmx_and_a_second_decision_refused(desk, new_client, db_session, shop,
                                                                               buyer, login):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 2)])
    first = aftersale.request_refund(order, reason="破损", requested_by_id=buyer.id, amount_fen=3_000)
    second = aftersale.request_refund(order, reason="太贵", requested_by_id=buyer.id, amount_fen=2_000)
    url = f"/ops/orders/{order.id}/refunds"
    approved = desk.post(f"{url}/{first.id}/approve", data={"note": "checked"}, headers=HX)
    html = approved.get_data(as_text=True)
    assert approved.status_code == 200 and 'id="ops-order"' in html and "<html" not in html
    assert "Approved: the refund goes to WeChat Pay now." in html
    assert f'data-refund="{first.id}" data-state="approved"' in html
    twice = desk.post(f"{url}/{first.id}/reject", data={"note": "no"})
    assert twice.status_code == 409 and "This refund was decided already." in twice.get_data(as_text=True)
    silent = desk.post(f"{url}/{second.id}/reject", data={"note": " "}, headers=HX)
    assert silent.status_code == 422 and "Say why the refund is rejected: the buyer sees it." in silent.get_data(
        as_text=True)
    assert desk.post(f"{url}/{second.id}/reject", data={"note": "价格在下单时已确认"}).status_code == 303
    db_session.refresh(second)
    assert second.status == RefundStatus.REJECTED
    log = desk.get(f"/ops/orders/{order.id}").get_data(as_text=True)
    assert "requested → approved" in log and "requested → rejected" in log and "Ops Zhao" in log
    [entry] = [e for e in audited(second, "state") if e.to_state == "rejected"]
    assert entry.actor_id == desk.user.id and entry.note == "价格在下单时已确认"
    buyer_view = new_client()
    login(buyer_view, buyer)
    assert "原因：价格在下单时已确认" in buyer_view.get(f"/orders/{order.id}").get_data(as_text=True)
    other = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    assert desk.post(f"/ops/orders/{other.id}/refunds/{first.id}/approve").status_code == 404, "another order's"


def test_shipping_is_refused_in_words_until_the_state_allows_it(desk, db_session, shop, buyer):
    unpaid = services.create(buyer, buyer.company_id, [(shop.cny_offer.id, 1)])
    line = unpaid.lines[0].id
    refused = desk.post(f"/ops/orders/{unpaid.id}/ship", data={"lines": line, "carrier": "SF", "tracking_no": "SF1"})
    assert refused.status_code == 409 and "Only a paid order can be shipped." in refused.get_data(as_text=True)
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    ship = {"lines": order.lines[0].id, "carrier": "顺丰", "tracking_no": "SF1001"}
    early = desk.post(f"/ops/orders/{order.id}/ship", data=ship, headers=HX)
    assert early.status_code == 409 and "Customs has not cleared these goods yet" in early.get_data(as_text=True)
    bad = desk.post(f"/ops/orders/{order.id}/ship", data={**ship, "tracking_no": "SF 10=01"})
    assert bad.status_code == 422 and "Use letters, digits and hyphens" in bad.get_data(as_text=True)
    not_shipped = desk.post(f"/ops/orders/{order.id}/deliver", data={"lines": order.lines[0].id})
    assert not_shipped.status_code == 422 and "A line is delivered only after it shipped." in not_shipped.get_data(
        as_text=True)
    clear_customs(order)
    assert desk.post(f"/ops/orders/{order.id}/ship", data=ship).status_code == 303
    db_session.refresh(order)
    assert order.state == OrderState.SHIPPED and order.lines[0].tracking_no == "SF1001"
    assert audited(order, "shipped")[0].actor_id == desk.user.id
    delivered = desk.post(f"/ops/orders/{order.id}/deliver", data={"lines": order.lines[0].id}, headers=HX)
    assert delivered.status_code == 200 and "Marked delivered." in delivered.get_data(as_text=True)
    db_session.refresh(order)
    assert order.state == OrderState.COMPLETED
    again = desk.post(f"/ops/orders/{order.id}/ship", data=ship)
    assert again.status_code == 409 and "Only a paid order can be shipped." in again.get_data(as_text=True)


def test_only_a_refused_declaration_is_declared_again(desk, db_session, shop, buyer):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    [declaration] = aftersale.declarations(order)
    url = f"/ops/orders/{order.id}/declarations/{declaration.id}/redeclare"
    early = desk.post(url, data={"mch_customs_no": "4403169D3X"})
    assert early.status_code == 409 and "Only a declaration customs refused can be declared again." in early.get_data(
        as_text=True)
    clear_customs(order, "DIFFERENT", DeclarationState.FAILED)
    assert desk.post(url, data={"duty": "abc"}).status_code == 422
    assert desk.post(url, data={"mch_customs_no": "4403169D3X", "duty": "1.50"}).status_code == 303
    db_session.refresh(declaration)
    assert declaration.resend and declaration.mch_customs_no == "4403169D3X" and declaration.duty == 150
    assert audited(declaration, "redeclare")[0].actor_id == desk.user.id


def test_finance_decides_refunds_but_does_not_ship(client, db_session, shop, buyer, make_user, login):
    order = _paid(db_session, buyer, [(shop.cny_offer.id, 1)])
    refund = aftersale.request_refund(order, reason="x", requested_by_id=buyer.id, amount_fen=100)
    login(client, make_user(role=None, staff_role="finance_admin"))
    assert client.post(f"/ops/orders/{order.id}/ship", data={"lines": order.lines[0].id, "carrier": "SF",
                                                             "tracking_no": "SF1"}).status_code == 403
    html = client.get(f"/ops/orders/{order.id}").get_data(as_text=True)
    assert "Mark lines shipped" not in html and "标记发货" not in html
    assert client.post(f"/ops/orders/{order.id}/refunds/{refund.id}/approve").status_code == 303
    db_session.refresh(refund)
    assert refund.status == RefundStatus.APPROVED


def test_an_identity_customs_refused_is_shown_to_the_desk_and_the_buyer(desk, new_client, login, client, db_session,
                                                                      shop, buyer, wechat):
    from app.payments import customs
    from tests.orders.test_aftersale import _decided, paid_order
    from tests.workers import wait_until

    order = paid_order(client, wechat, buyer, [(shop.cny_offer.id, 1)])  # 王小明 is not the payer
    charge = services.charge_of(order)
    customs.send(charge.id)
    assert wait_until(lambda: _decided(charge.id), timeout=20, every=0.2)
    html = desk.get(f"/ops/orders/{order.id}").get_data(as_text=True)
    assert 'data-cert="DIFFERENT"' in html and 'data-customs-state="failed"' in html and "Declare again" in html
    exceptions = desk.get("/ops/orders/exceptions").get_data(as_text=True)
    assert 'data-cert="DIFFERENT"' in exceptions and order.number in exceptions
    buyer_view = new_client()
    login(buyer_view, buyer)
    page = buyer_view.get(f"/orders/{order.id}").get_data(as_text=True)
    assert "与支付人不一致 (DIFFERENT)" in page and "海关未通过申报" in page
