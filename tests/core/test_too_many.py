"""Every 429 says when to come back: a Retry-After header and a message with the wait,
on a page, in an htmx fragment and in the API's envelope."""
from __future__ import annotations

import re

import pytest
from flask import abort

from app.core.errors import TooMany


@pytest.fixture
def refusing_app(make_app):
    other = make_app()

    @other.get("/_abort")
    def _abort():
        abort(429)

    @other.get("/api/v1/_too_many")
    def _too_many():
        raise TooMany("slow down")

    return other


def test_a_429_from_anywhere_carries_retry_after(refusing_app):
    browser = refusing_app.test_client()
    page = browser.get("/_abort")
    assert page.status_code == 429 and int(page.headers["Retry-After"]) > 0
    assert "短时间内尝试次数过多，请在1分钟后重试" in page.get_data(as_text=True)
    fragment = browser.get("/_abort", headers={"HX-Request": "true"})
    assert fragment.status_code == 429 and int(fragment.headers["Retry-After"]) > 0
    api = browser.get("/api/v1/_too_many")
    assert api.status_code == 429 and int(api.headers["Retry-After"]) > 0
    assert api.get_json() == {"error": {"code": "rate_limited", "field": None, "message": "slow down"}}


def test_a_limit_says_how_long_its_own_window_still_runs(client, use_config):
    use_config(CATALOG_API_LIMIT="1 per hour")
    url = "/api/v1/landed-cost?unit_price=1&currency=CNY&quantity=1"
    assert client.get(url).status_code == 200
    refused = client.get(url)
    assert refused.status_code == 429 and 60 < int(refused.headers["Retry-After"]) <= 3600
    page = client.get("/landed-cost?unit_price=1&currency=CNY&quantity=1")
    assert page.status_code == 429 and re.search(r"请在\d+(小时|分钟)后重试", page.get_data(as_text=True))
