"""One Idempotency-Key, one order: also when two requests with it arrive at the same moment."""
from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from app.accounts.models import User
from app.core.errors import Conflict
from app.extensions import db
from app.orders import services
from app.orders.models import Order
from tests.orders.conftest import build_shop, make_consignee


def test_a_retry_gets_the_same_order_and_says_it_was_not_created(app, db_session, shop, buyer):
    first = services.place(buyer, buyer.company_id, [(shop.cny_offer.id, 2)], idempotency_key="retry-1")
    again = services.place(buyer, buyer.company_id, [(shop.cny_offer.id, 2)], idempotency_key="retry-1")
    assert first.created and not again.created
    assert again.order.id == first.order.id
    with pytest.raises(Conflict):
        services.place(buyer, buyer.company_id, [(shop.cny_offer.id, 3)], idempotency_key="retry-1")


def test_two_requests_racing_with_one_key_make_one_order(app, committed, monkeypatch):
    shop = build_shop(db.session)
    user = committed.user(role="owner")
    make_consignee(user)
    db.session.commit()
    user_id, offer_id = user.id, shop.cny_offer.id
    # Both requests have looked for an earlier order under the key (and found none)
    # before either writes its own: the moment two retries of a timed-out request meet.
    both_looked = threading.Barrier(2, timeout=20)
    real_price = services.price

    def price_after_both_looked(*args, **kwargs):
        both_looked.wait()
        return real_price(*args, **kwargs)

    monkeypatch.setattr(services, "price", price_after_both_looked)
    outcomes: list[object] = []

    def request() -> None:
        with app.app_context():
            try:
                buyer = db.session.get(User, user_id)
                placed = services.place(buyer, buyer.company_id, [(offer_id, 1)], idempotency_key="timed-out-1")
                db.session.commit()
                outcomes.append((placed.order.id, placed.created))
            except Exception as e:  # the test reports what a request would have answered
                db.session.rollback()
                outcomes.append(e)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=request) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert len({order_id for order_id, _ in outcomes}) == 1, outcomes
    assert sorted(created for _, created in outcomes) == [False, True]
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
