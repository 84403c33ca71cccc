"""Fixtures for the JSON API: tokens, a client that sends one, and the orders fixtures
(a shop, a buyer with a consignee, the WeChat Pay simulator)."""
from __future__ import annotations

from typing import Any

import pytest

from app.accounts import tokens
from tests.catalog.conftest import catalog  # noqa: F401
from tests.orders.conftest import build_shop, make_consignee, shop, wechat  # noqa: F401
from tests.sandbox_fixtures import sandbox_server  # noqa: F401


class Api:
    """Calls the API as a program does: the token in Authorization, no cookie, no CSRF token."""

    def __init__(self, client: Any, secret: str) -> None:
        self.client, self.secret = client, secret

    def _headers(self, headers: dict[str, str] | None) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.secret}", **(headers or {})}

    def get(self, url: str, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(url, headers=self._headers(headers))

    def post(self, url: str, json: Any = None, headers: dict[str, str] | None = None, **kw: Any) -> Any:
        return self.client.post(url, json=json, headers=self._headers(headers), csrf=False, **kw)


@pytest.fixture
def token_for(db_session):
    def make(user: Any, name: str = "ERP") -> str:
        return tokens.create(user, name).secret

    return make


@pytest.fixture
def api_as(app, db_session, token_for):
    """`api_as(user)`: an Api for that user, each in a browser of its own (no shared cookies)."""
    from tests.conftest import PortalClient

    def make(user: Any) -> Api:
        app.test_client_class = PortalClient
        return Api(app.test_client(), token_for(user))

    return make


@pytest.fixture
def buyer(make_user) -> Any:
    user = make_user(role="owner")
    make_consignee(user)
    return user


@pytest.fixture
def api(api_as, buyer) -> Api:
    return api_as(buyer)


def lines(*pairs: tuple[Any, int]) -> dict[str, Any]:
    return {"lines": [{"offer_id": offer.id, "quantity": quantity} for offer, quantity in pairs]}
