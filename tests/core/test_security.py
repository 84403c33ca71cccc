"""CSRF, headers, cookies and error pages."""
from __future__ import annotations


def test_plain_post_without_csrf_token_is_rejected(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"}, csrf=False)
    assert response.status_code == 400
    assert "会话已过期" in response.get_data(as_text=True)
    assert "<html" in response.get_data(as_text=True)


def test_htmx_post_without_csrf_header_is_rejected_as_a_fragment(client, make_user, login):
    owner = make_user(role="owner")
    login(client, owner)
    response = client.post("/members/invite", data={"email": "a@example.test", "role": "buyer"},
                           headers={"HX-Request": "true"}, csrf=False)
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "<html" not in html and 'data-status="400"' in html
    assert response.headers["HX-Retarget"] == "#flash"


def test_htmx_post_with_csrf_header_is_accepted(client, make_user, login):
    login(client, make_user(role="owner"))
    token = client.csrf_token()
    response = client.post("/members/invite", data={"email": "a@example.test", "role": "buyer"},
                           headers={"HX-Request": "true", "X-CSRFToken": token}, csrf=False)
    assert response.status_code == 200


def test_pages_carry_security_headers_and_a_strict_csp(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    html = response.get_data(as_text=True)
    assert "<script>" not in html  # only our own script files


def test_session_cookie_is_httponly_and_lax(client, make_user, login):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("kj_session=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch):
    from app import config

    monkeypatch.setenv("KUAJING_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    assert config.load()["SESSION_COOKIE_SECURE"] is True


def test_production_refuses_to_start_without_its_own_keys(monkeypatch, make_app):
    import pytest

    from app import ConfigError, create_app
    from app.config import WECHATPAY_DEV_DEFAULTS

    monkeypatch.setenv("KUAJING_ENV", "production")
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://kj@db/kj")
    for name in WECHATPAY_DEV_DEFAULTS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "SECRET_KEY" in str(refused.value) and "WECHATPAY_API_KEY" in str(refused.value)
    # The development merchant's key is public: production must not run with it.
    monkeypatch.setenv("SECRET_KEY", "k" * 40)
    for name, value in WECHATPAY_DEV_DEFAULTS.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "WECHATPAY_API_KEY is the public development value" in str(refused.value)
    monkeypatch.setenv("WECHATPAY_APPID", "wx1234567890abcdef")
    monkeypatch.setenv("WECHATPAY_MCH_ID", "1234567890")
    monkeypatch.setenv("WECHATPAY_API_KEY", "p" * 32)
    monkeypatch.setenv("WECHATPAY_APP_SECRET", "s" * 32)
    monkeypatch.delenv("WECHATPAY_API_BASE")
    monkeypatch.delenv("FIELD_ENCRYPTION_KEY", raising=False)
    with pytest.raises(ConfigError) as refused:
        create_app()
    assert "FIELD_ENCRYPTION_KEY is not set" in str(refused.value)  # identity numbers need their own key
    from cryptography.fernet import Fernet

    monkeypatch.setenv("FIELD_ENCRYPTION_KEY", Fernet.generate_key().decode())
    app = create_app()
    assert app.config["WECHATPAY_API_BASE"] == "https://api.mch.weixin.qq.com/"
    assert app.config["SESSION_COOKIE_SECURE"] is True


def test_oversized_upload_is_refused(client):
    response = client.post("/login", data={"email": "a" * (17 * 1024 * 1024)}, csrf=False)
    assert response.status_code == 413


def test_error_pages_full_and_fragment(client, make_user, login):
    page = client.get("/no-such-page")
    assert page.status_code == 404 and "页面不存在" in page.get_data(as_text=True)
    assert "<html" in page.get_data(as_text=True)
    fragment = client.get("/no-such-page", headers={"HX-Request": "true"})
    assert fragment.status_code == 404 and "<html" not in fragment.get_data(as_text=True)
    login(client, make_user(role="buyer"))
    forbidden = client.get("/members")
    assert forbidden.status_code == 403 and "无权访问" in forbidden.get_data(as_text=True)


def test_unexpected_error_renders_the_500_page(make_app):
    fresh = make_app()

    @fresh.get("/_boom")
    def _boom():
        raise RuntimeError("boom")

    response = fresh.test_client().get("/_boom")
    assert response.status_code == 500
    html = response.get_data(as_text=True)
    assert "出错了" in html and "Traceback" not in html and "RuntimeError" not in html


def test_nul_characters_in_input_are_refused_cleanly(client, make_user, login):
    from app.accounts.models import Company
    from app.extensions import db

    response = client.post("/signup", data={"company_name": "坏\x00公司", "credit_code": "x",
                                            "contact_phone": "13800138000", "name": "a",
                                            "email": "nul@example.test", "password": "long-enough-pass"})
    assert response.status_code == 400 and "无法处理该请求" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Company)) == 0
    assert client.get("/login?next=/\x00").status_code == 400


def test_behind_a_proxy_the_client_address_is_the_forwarded_one(make_app):
    from flask import request

    proxied = make_app(TRUSTED_PROXIES=1)

    @proxied.get("/_ip")
    def _ip():
        return request.remote_addr or ""

    answer = proxied.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.9"},
                                       environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert answer.get_data(as_text=True) == "203.0.113.9"
    direct = make_app(TRUSTED_PROXIES=0)

    @direct.get("/_ip")
    def _ip2():
        return request.remote_addr or ""

    spoofed = direct.test_client().get("/_ip", headers={"X-Forwarded-For": "203.0.113.9"},
                                       environ_base={"REMOTE_ADDR": "127.0.0.1"})
    assert spoofed.get_data(as_text=True) == "127.0.0.1"


def test_navigation_hides_the_outbox_where_the_page_is_off(make_app, make_user):
    from app.core.navigation import items_for

    staff = make_user(staff_role="agent")
    for flag, shown in ((True, True), (False, False)):
        with make_app(SMS_OUTBOX_PAGE=flag).test_request_context("/"):
            endpoints = {item.endpoint for item in items_for(staff)}
        assert ("notifications.outbox" in endpoints) is shown
