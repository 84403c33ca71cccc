"""Tokens are made and revoked on the account page and by `flask api-token create`; shown once."""
from __future__ import annotations

import re

from sqlalchemy import select

from app.accounts import tokens
from app.accounts.models import ApiToken

TOKEN = re.compile(r"kj_[A-Za-z0-9_-]{43}")


def _created_token(html: str) -> str:
    found = TOKEN.findall(html)
    assert len(found) == 1, "the new token is on the page, once"
    return found[0]


def test_the_account_page_creates_a_token_shows_it_once_and_it_works(client, login, buyer, db_session):
    login(client, buyer)
    r = client.post("/account/api-tokens", data={"token_name": "ERP 接口"})
    assert r.status_code == 200
    secret = _created_token(r.get_data(as_text=True))
    [stored] = db_session.scalars(select(ApiToken)).all()
    assert stored.name == "ERP 接口" and stored.token_hash == tokens.digest(secret) and stored.user_id == buyer.id
    again = client.get("/account").get_data(as_text=True)
    assert "ERP 接口" in again and f"kj_…{secret[-4:]}" in again
    assert secret not in again, "the token is never shown again"
    other_browser = client.application.test_client()
    assert other_browser.get("/api/v1/orders", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_htmx_swaps_in_the_tokens_section_alone(client, login, buyer):
    login(client, buyer)
    r = client.post("/account/api-tokens", data={"token_name": "App"}, headers={"HX-Request": "true"})
    html = r.get_data(as_text=True)
    assert r.status_code == 200 and html.lstrip().startswith('<section class="card" id="api-tokens"')
    assert len(TOKEN.findall(html)) == 1 and "<html" not in html


def test_a_token_needs_a_name_that_fits(client, login, buyer, db_session):
    login(client, buyer)
    blank = client.post("/account/api-tokens", data={"token_name": "\u3000 "})
    assert blank.status_code == 422 and "此项为必填" in blank.get_data(as_text=True)
    long = client.post("/account/api-tokens", data={"token_name": "x" * 61})
    assert long.status_code == 422 and not TOKEN.search(long.get_data(as_text=True))
    assert db_session.scalars(select(ApiToken)).all() == []


def test_revoking_on_the_account_page_stops_the_token(client, login, buyer, token_for):
    secret = token_for(buyer, "old ERP")
    [token] = tokens.active_of(buyer.id)
    login(client, buyer)
    r = client.post(f"/account/api-tokens/{token.id}/revoke")
    assert r.status_code == 303
    page = client.get("/account").get_data(as_text=True)
    assert "API 令牌已撤销" in page and "old ERP" not in page
    other_browser = client.application.test_client()
    assert other_browser.get("/api/v1/orders", headers={"Authorization": f"Bearer {secret}"}).status_code == 401


def test_nobody_revokes_another_users_token(client, login, buyer, make_user, token_for):
    theirs = make_user(role="owner", company=buyer.membership.company)
    secret = token_for(theirs)
    [token] = tokens.active_of(theirs.id)
    login(client, buyer)
    client.post(f"/account/api-tokens/{token.id}/revoke")
    assert "没有这个 API 令牌" in client.get("/account").get_data(as_text=True)
    assert token.revoked_at is None
    other_browser = client.application.test_client()
    assert other_browser.get("/api/v1/orders", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_a_user_keeps_at_most_twenty_live_tokens(client, login, buyer, token_for):
    for n in range(tokens.MAX_ACTIVE):
        token_for(buyer, f"system {n}")
    login(client, buyer)
    r = client.post("/account/api-tokens", data={"token_name": "one more"})
    assert r.status_code == 422 and not TOKEN.search(r.get_data(as_text=True))
    assert len(tokens.active_of(buyer.id)) == tokens.MAX_ACTIVE


def test_the_cli_prints_the_token_alone_on_its_line(app, buyer, db_session):
    result = app.test_cli_runner().invoke(args=["api-token", "create", buyer.email, "--name", "warehouse"])
    assert result.exit_code == 0, result.output
    [secret] = [line for line in result.stdout.splitlines() if TOKEN.fullmatch(line)]
    assert result.stdout == secret + "\n", "stdout holds the token and nothing else, for scripts"
    [stored] = db_session.scalars(select(ApiToken)).all()
    assert (stored.name, stored.user_id, stored.token_hash) == ("warehouse", buyer.id, tokens.digest(secret))
    client = app.test_client()
    assert client.get("/api/v1/orders", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_the_cli_refuses_an_unknown_email_and_saves_nothing(app, db_session):
    result = app.test_cli_runner().invoke(args=["api-token", "create", "nobody@example.test"])
    assert result.exit_code == 1 and "没有使用此邮箱的账户" in result.output
    assert not TOKEN.search(result.output)
    assert db_session.scalars(select(ApiToken)).all() == []


def test_the_cli_refuses_a_deactivated_account(app, buyer, db_session):
    buyer.active = False
    db_session.flush()
    result = app.test_cli_runner().invoke(args=["api-token", "create", buyer.email])
    assert result.exit_code == 1 and "此账户已停用" in result.output and not TOKEN.search(result.output)
    assert db_session.scalars(select(ApiToken)).all() == []
