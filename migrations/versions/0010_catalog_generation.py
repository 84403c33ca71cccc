"""A catalog generation token the database replaces on every change to offers, suppliers
or FX rates, so a product's costed offers can be kept in memory and dropped the moment
anything they were built from changes, whichever way the change was written.

A fresh random token rather than a counter: a rolled-back change or a truncated table
never brings back a token some process already built an entry under.

Revision ID: 0010_catalog_generation
Revises: 0009_ledger_reversals
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010_catalog_generation"
down_revision = "0009_ledger_reversals"
branch_labels = None
depends_on = None

TABLES = ("offers", "suppliers", "fx_rates")

PG_FUNCTION = """
CREATE FUNCTION catalog_generation_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO catalog_generation (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', ''))
  ON CONFLICT (id) DO UPDATE SET token = EXCLUDED.token;
  RETURN NULL;
END
$$
"""

SQLITE_BODY = ("INSERT INTO catalog_generation (id, token) VALUES (1, lower(hex(randomblob(16)))) "
               "ON CONFLICT (id) DO UPDATE SET token = excluded.token;")


def upgrade() -> None:
    op.create_table(
        "catalog_generation",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("token", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_catalog_generation"),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        for table in TABLES:
            # Once per statement: a 50,000-row import replaces the token once.
            op.execute(f"CREATE TRIGGER {table}_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE "
                       f"ON {table} FOR EACH STATEMENT EXECUTE FUNCTION catalog_generation_bump()")
        op.execute("INSERT INTO catalog_generation (id, token) VALUES (1, replace(gen_random_uuid()::text, '-', ''))")
    else:
        for table in TABLES:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(f"CREATE TRIGGER {table}_generation_{event.lower()} AFTER {event} ON {table} "
                           f"BEGIN {SQLITE_BODY} END")
        op.execute("INSERT INTO catalog_generation (id, token) VALUES (1, lower(hex(randomblob(16))))")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:
            op.execute(f"DROP TRIGGER {table}_generation ON {table}")
        op.execute("DROP FUNCTION catalog_generation_bump()")
    else:
        for table in TABLES:
            for event in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_generation_{event}")
    op.drop_table("catalog_generation")
