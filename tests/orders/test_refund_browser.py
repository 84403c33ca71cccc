"""In real Chromium, against the portal served over HTTP, its own WeChat Pay simulator and a real
RQ worker: the buyer asks for part of a paid order back, an operator approves it on the order
desk, the worker sends it to WeChat Pay, WeChat's refund notify comes back, and the buyer sees
it refunded."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from app.extensions import db
from app.orders import services
from app.orders.models import Order, OrderState
from app.payments import TradeType, prepay
from app.payments.models import Refund, RefundStatus
from tests.orders.conftest import build_shop, make_consignee, wechat_config
from tests.orders.test_pay_browser import DESKTOP, PHONE, no_overflow, sign_in
from tests.workers import run_worker, stop_process, wait_until


def _now(query):
    return db.session.scalar(query.execution_options(populate_existing=True))


@pytest.fixture
def worker(portal, queue_name, redis_url, monkeypatch, tmp_path):
    """A real worker on a queue of the test's own, the live portal's jobs going to it."""
    monkeypatch.setitem(portal.app.config, "RQ_QUEUE", queue_name)
    env = {k: str(v) for k, v in wechat_config(portal.sandbox.url, portal.url, str(tmp_path)).items()}
    proc = run_worker(redis_url, queue_name, scheduler=True, burst=False, **env)
    yield proc
    stop_process(proc)


def paid_order(portal) -> dict:
    """A buyer's order paid at the simulator, whose payment notify reached the portal."""
    def build(f, session):
        shop = build_shop(session)
        buyer = f.user(role="owner", name="赵采购")
        make_consignee(buyer)
        return {"buyer": buyer.email, "buyer_id": buyer.id, "offer": shop.cny_offer.id,
                "ops": f.user(role=None, staff_role="ops", name="运营 钱", language="en").email}

    data = portal.commit(build)
    with portal.app.app_context():
        from app.accounts.models import User

        buyer = db.session.get(User, data["buyer_id"])
        order = services.create(buyer, buyer.company_id, [(data["offer"], 2)])
        attempt = prepay(services.charge_of(order), TradeType.NATIVE, client_ip="203.0.113.7")
        data.update(order_id=order.id, number=order.number, total_fen=order.total_fen)
        db.session.commit()
        portal.sandbox.control("POST", "_sandbox/pay", json={"code_url": attempt.code_url})
        assert wait_until(lambda: _now(select(Order.state).where(Order.id == data["order_id"])) == OrderState.PAID,
                          timeout=20, every=0.1), "the payment notify reached the portal"
        db.session.remove()
    return data


def test_a_partial_refund_asked_approved_on_the_desk_and_refunded(portal, worker, page: Page, browser: Browser):
    data = paid_order(portal)
    order_url = f"{portal.url}/orders/{data['order_id']}"
    page.set_viewport_size(PHONE)
    sign_in(page, portal.url, data["buyer"])
    page.goto(order_url)
    page.get_by_text("申请退款", exact=True).click()
    page.get_by_label("指定金额").check()
    page.get_by_label("金额（元）").fill("50")
    page.get_by_label("原因").fill("一盒外包装破损")
    no_overflow(page)
    page.get_by_role("button", name="提交退款申请").click()
    refunds = page.locator("#order-refunds")
    expect(refunds.get_by_role("status")).to_contain_text("退款申请已提交")
    expect(refunds.locator("[data-refund-state]")).to_have_text("已申请")
    expect(refunds).to_contain_text("¥50.00")

    desk = browser.new_context(viewport=DESKTOP, locale="zh-CN", timezone_id="Asia/Shanghai")
    ops = desk.new_page()
    problems: list[str] = []
    ops.on("pageerror", lambda e: problems.append(str(e)))
    try:
        sign_in(ops, portal.url, data["ops"])
        ops.goto(f"{portal.url}/ops/orders?refund=requested")
        ops.get_by_role("link", name=data["number"]).click()
        expect(ops).to_have_url(re.compile(rf"/ops/orders/{data['order_id']}$"))
        refund = ops.locator("article.desk-refund")
        expect(refund).to_contain_text("一盒外包装破损")
        refund.get_by_label("Note (the buyer sees it when you reject)").fill("Box photo checked")
        refund.get_by_role("button", name="Approve").click()
        expect(ops.get_by_role("status")).to_have_text("Approved: the refund goes to WeChat Pay now.")
        expect(ops.locator("[data-audit='refund:state']").first).to_contain_text("运营 钱")
    finally:
        desk.close()
    assert not problems, problems

    # The worker sends it; WeChat Pay settles it and posts its refund notify back to the portal.
    with portal.app.app_context():
        done = wait_until(lambda: _now(select(Refund.status)) == RefundStatus.SUCCEEDED, timeout=60, every=0.2)
        db.session.remove()
    assert done, "the worker sent it and WeChat Pay's refund notify settled it"
    page.reload()
    expect(page.locator("#order-refunds [data-refund-state]")).to_have_text("已退款")
    expect(page.locator("h1 [data-refund-label]")).to_have_text("部分退款")
    expect(page.locator(".timeline [data-event=refund_done]")).to_contain_text("¥50.00 已退回支付账户")
    no_overflow(page)
    page.goto(f"{portal.url}/orders")
    expect(page.locator(f'tr[data-order="{data["number"]}"] [data-refund-label]')).to_have_text("部分退款")
