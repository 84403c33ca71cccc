"""Who the client is: forwarded headers are believed only behind configured proxies, and
what is taken as the client's address is always a real IP, for limits and stored rows."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from werkzeug.middleware.proxy_fix import ProxyFix

from app.accounts.models import PhoneCode

CALCULATOR = "/api/v1/landed-cost?unit_price=1&currency=CNY&quantity=1"


def _stored_ip(db_session, phone: str) -> str | None:
    return db_session.scalar(select(PhoneCode.ip).where(PhoneCode.phone == phone).order_by(PhoneCode.id.desc()))


def test_forwarded_headers_are_not_believed_by_default_even_in_production(monkeypatch):
    from app import config

    monkeypatch.delenv("TRUSTED_PROXIES", raising=False)
    for environment in ("development", "production"):
        monkeypatch.setenv("KUAJING_ENV", environment)
        monkeypatch.setenv("SECRET_KEY", "x" * 40)
        assert config.load()["TRUSTED_PROXIES"] == 0, environment


def test_a_client_cannot_name_its_own_address_to_escape_a_per_client_limit(client, db_session, use_config):
    use_config(CATALOG_API_LIMIT="2 per minute", SMS_CODE_LIMITS_PER_IP="2/hour")
    answers = [client.get(CALCULATOR, headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code
               for n in range(3)]
    assert answers == [200, 200, 429]
    sent = [client.post("/login/code/send", data={"phone": f"1360000710{n}"},
                        headers={"X-Forwarded-For": f"198.51.100.{n}"}).status_code for n in range(3)]
    assert sent == [200, 200, 429]
    assert _stored_ip(db_session, "+8613600007100") == "127.0.0.1", "the socket peer, not the header"


@pytest.mark.parametrize("forwarded, stored", [
    ("203.0.113.9", "203.0.113.9"),
    ("2001:db8::1", "2001:db8::1"),
    ("::ffff:203.0.113.9", "203.0.113.9"),
    ("not-an-address-" + "x" * 60, "10.0.0.2"),   # over the column's 45 characters: was a 500
    ("203.0.113.9<script>", "10.0.0.2"),
    ("fe80::1%" + "e" * 50, "fe80::1"),      # the zone is ours, never part of the address
])
def test_behind_a_proxy_only_a_real_address_is_taken_from_the_header(app, client, db_session, monkeypatch,
                                                                     forwarded, stored):
    # What security.init_app installs for TRUSTED_PROXIES=1 (tests/core/test_security.py
    # checks that wiring); here on the shared app, so the test's rollback applies.
    monkeypatch.setattr(app, "wsgi_app", ProxyFix(app.wsgi_app, x_for=1, x_proto=1, x_host=1))
    response = client.post("/login/code/send", data={"phone": "13600007200"},
                           headers={"X-Forwarded-For": forwarded}, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert response.status_code == 200
    assert _stored_ip(db_session, "+8613600007200") == stored


def test_every_address_of_one_ipv6_subscriber_counts_as_one_client(app):
    from app.core.security import client_key

    keys = set()
    for address in ("2001:db8:1:2::1", "2001:db8:1:2:ffff::9", "2001:db8:1:2:abcd:1:2:3"):
        with app.test_request_context(environ_base={"REMOTE_ADDR": address}):
            keys.add(client_key())
    assert keys == {"2001:db8:1:2::/64"}
    with app.test_request_context(environ_base={"REMOTE_ADDR": "2001:db8:1:3::1"}):
        assert client_key() != "2001:db8:1:2::/64"
