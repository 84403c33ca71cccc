"""Limits on guessing passwords, as a user and an attacker meet them: wrong passwords
count per account and client, a slower ceiling per account, never a successful sign-in,
and every refusal says when to come back."""
from __future__ import annotations

import re

from app.extensions import db
from tests.factories import Factories

RIGHT = Factories.PASSWORD


def _sign_in(client, user, password: str, ip: str = "127.0.0.1", **kw):
    return client.post("/login", data={"email": user.email, "password": password},
                       environ_base={"REMOTE_ADDR": ip}, **kw)


def _wait(response) -> int:
    return int(response.headers["Retry-After"])


def test_a_stranger_guessing_locks_only_their_own_client_out(client, new_client, make_user):
    user = make_user()
    for _ in range(5):
        assert _sign_in(client, user, "wrong-guess", "198.51.100.7").status_code == 200
    locked = _sign_in(client, user, RIGHT, "198.51.100.7")
    assert locked.status_code == 429 and 0 < _wait(locked) <= 15 * 60
    # Before: five anonymous requests locked the account for everyone.
    assert _sign_in(new_client(), user, RIGHT).status_code == 303


def test_the_owners_browser_gets_in_while_strangers_exhaust_the_accounts_ceiling(new_client, make_user,
                                                                                 use_config):
    use_config(LOGIN_LIMIT_PER_ACCOUNT="6 per hour")
    user = make_user()
    owner = new_client()
    assert _sign_in(owner, user, RIGHT).status_code == 303
    owner.post("/logout")
    for n in range(3):
        stranger = new_client()
        for _ in range(2):
            assert _sign_in(stranger, user, "wrong-guess", f"203.0.113.{n}").status_code == 200
    newcomer = _sign_in(new_client(), user, RIGHT, "203.0.113.50")
    assert newcomer.status_code == 429, "an unknown browser waits once the account's ceiling is reached"
    assert _sign_in(owner, user, RIGHT, "203.0.113.1").status_code == 303, \
        "a browser that signed in to the account before is judged by its own budget"


def test_successful_sign_ins_never_use_up_a_budget(new_client, make_user, use_config):
    use_config(LOGIN_LIMIT_PER_IP="3 per 15 minutes", LOGIN_LIMIT_PER_ACCOUNT_CLIENT="3 per 15 minutes",
               LOGIN_LIMIT_PER_ACCOUNT="3 per hour")
    colleagues = [make_user() for _ in range(4)]
    for _ in range(2):
        for user in colleagues:  # one office, one address, fresh browsers
            browser = new_client()
            assert _sign_in(browser, user, RIGHT, "192.0.2.10").status_code == 303
            browser.post("/logout")


def test_tries_refused_by_the_client_limit_do_not_count_against_the_account(new_client, make_user, use_config):
    use_config(LOGIN_LIMIT_PER_IP="3 per 15 minutes", LOGIN_LIMIT_PER_ACCOUNT="2 per hour")
    attacker = new_client()
    for _ in range(3):
        assert _sign_in(attacker, make_user(), "wrong-guess", "198.51.100.9").status_code == 200
    victim = make_user()
    for _ in range(10):
        assert _sign_in(attacker, victim, "wrong-guess", "198.51.100.9").status_code == 429
    owner = new_client()
    assert _sign_in(owner, victim, "my-typo-123").status_code == 200, "the account's ceiling is untouched"
    assert _sign_in(owner, victim, RIGHT).status_code == 303


def test_the_refusal_says_when_to_come_back_in_the_users_language(client, make_user):
    user = make_user()
    for _ in range(5):
        _sign_in(client, user, "wrong-guess")
    page = _sign_in(client, user, "wrong-guess")
    html = page.get_data(as_text=True)
    assert page.status_code == 429 and _wait(page) > 0
    assert re.search(r"密码错误次数过多，请在\s?\d+\s?分钟后重试", html), html
    client.set_cookie("kj_lang", "en")
    fragment = _sign_in(client, user, "wrong-guess", headers={"HX-Request": "true"})
    text = fragment.get_data(as_text=True)
    assert fragment.status_code == 429 and _wait(fragment) > 0 and "<html" not in text
    assert re.search(r"Too many wrong passwords\. Please try again in \d+ minutes?, or sign in with an SMS code\.",
                     text), text


def test_guesses_at_the_current_password_on_the_account_page_are_limited(client, make_user, login):
    user = make_user()
    login(client, user)
    change = {"new_password": "brand-new-password", "confirm": "brand-new-password"}
    for _ in range(5):
        wrong = client.post("/account", data={**change, "current_password": "guess-guess"})
        assert wrong.status_code == 422 and "当前密码不正确" in wrong.get_data(as_text=True)
    refused = client.post("/account", data={**change, "current_password": RIGHT})
    assert refused.status_code == 429 and _wait(refused) > 0
    old_hash = user.password_hash
    db.session.refresh(user)
    assert user.password_hash == old_hash, "nothing changed"


def test_changing_the_password_again_and_again_is_not_a_guess(client, make_user, login, use_config):
    use_config(LOGIN_LIMIT_PER_ACCOUNT_CLIENT="2 per 15 minutes")
    user = make_user()
    login(client, user)
    current = RIGHT
    for n in range(4):
        new = f"brand-new-password-{n}"
        response = client.post("/account", data={"current_password": current, "new_password": new, "confirm": new})
        assert response.status_code == 303
        current = new
