"""`make run` uses a SQLite file: migrations, demo data and every page must work there too."""
from __future__ import annotations

import pytest

from app.extensions import db

DEMO_USERS = ["buyer@demo.test", "finance@demo.test", "agent@demo.test", "ops@demo.test", "admin@demo.test"]


@pytest.fixture
def dev_app(make_app, tmp_path):
    app = make_app(SQLALCHEMY_DATABASE_URI=f"sqlite:///{tmp_path / 'dev.sqlite3'}")
    with app.app_context():
        from flask_migrate import upgrade

        upgrade(directory=str(app.root_path + "/../migrations"))
        for _name, seed in app.extensions["kj_seeders"]:
            seed()
            db.session.commit()
        yield app
        db.session.remove()


def _pages(app) -> list[str]:
    """Every GET page without path arguments, plus one of each per-product page."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.arguments or rule.endpoint in {"static", "core.hello"}:
            continue
        urls.append(rule.rule)
    from app.catalog.models import Product

    product_id = db.session.scalar(db.select(Product.id).order_by(Product.id))
    urls += [f"/catalog/products/{product_id}", f"/catalog/products/{product_id}/compare?quantity=3",
             "/catalog?q=面霜", f"/api/v1/products/{product_id}/offers?quantity=2",
             "/api/v1/landed-cost?unit_price=12.50&currency=USD&quantity=3&shipping=8&regime=retail&category=COSMETICS"]
    return urls


@pytest.mark.parametrize("email", DEMO_USERS)
def test_every_page_works_on_the_development_database(dev_app, email):
    client = dev_app.test_client()  # a PortalClient: POSTs carry the page's CSRF token
    signed_in = client.post("/login", data={"email": email, "password": "demo-pass-2026"})
    assert signed_in.status_code == 303
    broken = {}
    for url in _pages(dev_app):
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
