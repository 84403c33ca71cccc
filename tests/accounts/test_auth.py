"""Sign-up, login, logout and password changes, as a buyer meets them."""
from __future__ import annotations

from app.accounts.models import BuyerRole, Company, Membership, User
from app.extensions import db
from tests.factories import valid_credit_code

SIGNUP = {
    "company_name": "宁波海外优品有限公司",
    "credit_code": valid_credit_code(9_000_001),
    "contact_phone": "138 0013 8888",
    "name": "周采购",
    "email": "Zhou@Example.test",
    "password": "a-long-password-1",
}


def test_sign_up_creates_company_and_owner_and_signs_in(client):
    response = client.post("/signup", data=SIGNUP)
    assert response.status_code == 303
    user = db.session.scalar(db.select(User).where(User.email == "zhou@example.test"))
    assert user is not None
    assert user.membership.role == BuyerRole.OWNER
    assert user.membership.company.name == "宁波海外优品有限公司"
    assert user.phone == "+8613800138888"
    home = client.get("/").get_data(as_text=True)
    assert "周采购" in home and "宁波海外优品有限公司" in home


def test_sign_up_rejects_bad_input_with_messages_and_saves_nothing(client):
    bad = {**SIGNUP, "credit_code": "91440300MA00000000", "contact_phone": "12345", "password": "short"}
    response = client.post("/signup", data=bad)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "统一社会信用代码" in html and "请输入营业执照上的 18 位统一社会信用代码" in html
    assert "请输入手机号" in html
    assert "请至少使用 10 个字符" in html
    assert db.session.scalar(db.select(db.func.count()).select_from(Company)) == 0


def test_sign_up_twice_with_same_email_is_refused(client, make_user):
    make_user(email="zhou@example.test")
    response = client.post("/signup", data=SIGNUP)
    assert "该邮箱已注册账户" in response.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Company).where(
        Company.credit_code == SIGNUP["credit_code"])) == 0


def test_login_with_right_password(client, make_user, login):
    user = make_user(name="赵一")
    login(client, user)
    assert "欢迎，赵一" in client.get("/").get_data(as_text=True)


def test_login_with_wrong_password_says_so(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "not-it-at-all"})
    assert response.status_code == 200
    assert "邮箱或密码不正确" in response.get_data(as_text=True)
    assert client.get("/members").status_code == 302  # still signed out


def test_login_rejects_offsite_next(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery",
                                           "next": "https://evil.example/steal"})
    assert response.headers["Location"] == "/"


def test_repeated_wrong_passwords_lock_the_account_for_a_while(client, make_user, new_client):
    user = make_user()
    for _ in range(5):
        assert client.post("/login", data={"email": user.email, "password": "wrong-guess"}).status_code == 200
    locked = client.post("/login", data={"email": user.email, "password": "correct-horse-battery"})
    assert locked.status_code == 429
    assert "尝试次数过多" in locked.get_data(as_text=True)
    # The lock is per account: the same browser can still sign in as somebody else.
    other = make_user()
    assert client.post("/login", data={"email": other.email, "password": "correct-horse-battery"}).status_code == 303


def test_logged_out_cookie_cannot_be_replayed(client, make_user, login, new_client):
    user = make_user()
    login(client, user)
    stolen = client.get_cookie("kj_session").value
    assert client.post("/logout").status_code == 303
    replay = new_client()
    replay.set_cookie("kj_session", stolen)
    response = replay.get("/account")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_password_change_signs_out_other_sessions(client, make_user, login, new_client):
    user = make_user()
    other_browser = new_client()
    login(other_browser, user)
    login(client, user)
    response = client.post("/account", data={"current_password": "correct-horse-battery",
                                             "new_password": "brand-new-password",
                                             "confirm": "brand-new-password"})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # this browser stays in
    assert other_browser.get("/account").status_code == 302  # the other one is out
    assert client.post("/logout").status_code == 303
    assert client.post("/login", data={"email": user.email, "password": "correct-horse-battery"}).status_code == 200
    assert client.post("/login", data={"email": user.email, "password": "brand-new-password"}).status_code == 303


def test_password_change_with_wrong_current_password_changes_nothing(client, make_user, login):
    user = make_user()
    login(client, user)
    old_hash = user.password_hash
    response = client.post("/account", data={"current_password": "nope-nope-nope",
                                             "new_password": "brand-new-password",
                                             "confirm": "brand-new-password"})
    assert "当前密码不正确" in response.get_data(as_text=True)
    db.session.refresh(user)
    assert user.password_hash == old_hash


def test_login_still_works_while_redis_is_down(make_app, throwaway_redis):
    from tests.factories import Factories

    server = throwaway_redis()
    other = make_app(REDIS_URL=server.url, RATELIMIT_STORAGE_URI=server.url)
    with other.app_context():  # `other` has its own engine: this user is really committed
        user = Factories(db.session).user(email="redis-down@example.test")
        db.session.commit()
        user_id, company_id = user.id, user.company_id
    try:
        server.stop()
        browser = other.test_client()
        response = browser.post("/login", data={"email": "redis-down@example.test",
                                                "password": Factories.PASSWORD})
        assert response.status_code == 303
        assert browser.get("/account").status_code == 200
    finally:
        with other.app_context():
            db.session.execute(db.delete(Membership).where(Membership.user_id == user_id))
            db.session.execute(db.delete(User).where(User.id == user_id))
            db.session.execute(db.delete(Company).where(Company.id == company_id))
            db.session.commit()


def test_parallel_wrong_passwords_cannot_outrun_the_limit(live_server):
    import threading

    import requests

    user = live_server.commit(lambda f: f.user())
    session = requests.Session()
    token = session.get(live_server.url + "/login").text.split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    answers: list[int] = []

    def guess() -> None:
        r = session.post(live_server.url + "/login", allow_redirects=False,
                         data={"csrf_token": token, "email": user.email, "password": "a-wrong-guess"})
        answers.append(r.status_code)

    threads = [threading.Thread(target=guess) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert answers.count(200) <= 5, answers  # at most the limit was checked against the password
    assert answers.count(429) >= 15


def test_a_successful_sign_in_clears_the_account_count(client, make_user):
    user = make_user()
    for _ in range(4):
        client.post("/login", data={"email": user.email, "password": "wrong-guess"})
    assert client.post("/login", data={"email": user.email, "password": "correct-horse-battery"}).status_code == 303
    client.post("/logout")
    for _ in range(4):
        assert client.post("/login", data={"email": user.email, "password": "wrong-guess"}).status_code == 200


def test_sign_in_starts_a_fresh_session(client, make_user, login):
    planted = client.csrf_token()
    login(client, make_user(role="owner"))
    response = client.post("/members/invite", data={"email": "x@example.test", "role": "buyer",
                                                    "csrf_token": planted}, csrf=False)
    assert response.status_code == 400  # the token from before sign-in no longer works


def test_control_characters_in_next_land_on_the_home_page(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": "correct-horse-battery",
                                           "next": "/\r\nSet-Cookie: x=1"})
    assert response.status_code == 303 and response.headers["Location"] == "/"
    assert client.post("/language", data={"language": "en", "next": "/\r\nx"}).headers["Location"] == "/"


def test_a_double_submitted_sign_up_is_refused_cleanly(client, monkeypatch):
    from app.accounts import services

    assert client.post("/signup", data=SIGNUP).status_code == 303
    client.post("/logout")
    # The second submit raced past the "email taken" check: the unique key still catches it.
    monkeypatch.setattr(services, "find_user_by_email", lambda email: None)
    second = client.post("/signup", data={**SIGNUP, "credit_code": valid_credit_code(9_000_002)})
    assert second.status_code == 200 and "该邮箱已注册账户" in second.get_data(as_text=True)
    assert db.session.scalar(db.select(db.func.count()).select_from(Company).where(
        Company.credit_code == valid_credit_code(9_000_002))) == 0


def test_signed_out_pages_send_you_to_sign_in_and_back(client, make_user):
    page = client.get("/members?tab=1")
    assert page.status_code == 302
    assert page.headers["Location"].startswith("/login?next=/members?tab%3D1") or \
        "next=%2Fmembers%3Ftab%3D1" in page.headers["Location"]
    # An htmx request whose session ended redirects the whole window, back to the page it was on.
    htmx = client.post("/members/invite", data={"email": "a@example.test", "role": "buyer"},
                       headers={"HX-Request": "true", "HX-Current-URL": "http://localhost/members"})
    assert htmx.status_code == 204 and "/login?next=" in htmx.headers["HX-Redirect"]
    assert "invite" not in htmx.headers["HX-Redirect"]
