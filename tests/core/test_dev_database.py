"""`make run` uses a SQLite file: migrations, demo data and every page must work there too."""
from __future__ import annotations

import pytest

from app.extensions import db
from tests.pages import DEMO_ACCOUNTS, DEMO_PASSWORD, every_page, seed_demo


@pytest.fixture
def dev_app(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(app.root_path + "/../migrations"))
        seed_demo(app)
        yield app
        db.session.remove()


@pytest.mark.parametrize("email", DEMO_ACCOUNTS)
def test_every_page_works_on_the_development_database(dev_app, email):
    client = dev_app.test_client()  # a PortalClient: POSTs carry the page's CSRF token
    signed_in = client.post("/login", data={"email": email, "password": DEMO_PASSWORD})
    assert signed_in.status_code == 303
    broken = {}
    for url in every_page(dev_app):
        status = client.get(url).status_code
        if status >= 500:
            broken[url] = status
    assert not broken, f"pages failing on SQLite as {email}: {broken}"


def test_sign_up_works_on_the_development_database(dev_app):
    from tests.factories import valid_credit_code

    client = dev_app.test_client()
    form = {"company_name": "本地开发公司", "credit_code": valid_credit_code(7_000_001),
            "contact_phone": "13700137000", "name": "开发", "email": "dev@example.test",
            "password": "dev-password-1"}
    assert client.post("/signup", data=form).status_code == 303
    again = dev_app.test_client()
    assert "该邮箱已注册账户" in again.post("/signup", data=form).get_data(as_text=True)


def test_a_page_whose_path_takes_arguments_needs_an_example():
    """A page added without an example must fail the page walks, not be skipped by them."""
    from flask import Flask

    other = Flask(__name__)
    other.add_url_rule("/things/<int:thing_id>", "things.show", lambda thing_id: "")
    with other.app_context(), pytest.raises(pytest.fail.Exception, match=r"/things/<int:thing_id> \(things\.show\)"):
        every_page(other)
