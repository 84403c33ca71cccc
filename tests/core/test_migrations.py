"""The migrations build exactly the schema the models describe (PostgreSQL)."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db


def test_models_and_migrations_agree(app):
    with app.app_context(), db.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, db.metadata)
    assert diff == [], f"models differ from migrations: {diff}"


def test_seed_demo_is_idempotent(app, db_session):
    from app.accounts.models import User

    seeders = [seed for _name, seed in app.extensions["kj_seeders"]]
    assert [name for name, _ in app.extensions["kj_seeders"]] == ["accounts", "catalog", "orders", "reconciliation",
                                                                  "statements", "settlement", "helpdesk"]
    for seed in seeders:
        seed()
    first = db_session.scalar(db.select(db.func.count()).select_from(User))
    for seed in seeders:
        seed()
    assert db_session.scalar(db.select(db.func.count()).select_from(User)) == first
    buyer = db_session.scalar(db.select(User).where(User.email == "buyer@demo.test"))
    assert buyer.membership.role.value == "owner"
    assert buyer.phone_is_verified  # the demo buyers can sign in with an SMS code
    from app.orders.models import Consignee

    # Each who may order ships to one consignee, once, however often the seeding runs.
    assert db_session.scalar(db.select(db.func.count()).select_from(Consignee).where(
        Consignee.user_id == buyer.id)) == 1
