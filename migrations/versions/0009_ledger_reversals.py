"""A journal entry that takes money back out of another (a refund's reversal of a payment)
names it, so that the next reversal knows what each party is still owed.

Revision ID: 0009_ledger_reversals
Revises: 0008_aftersale
"""
from alembic import op
import sqlalchemy as sa


revision = "0009_ledger_reversals"
down_revision = "0008_aftersale"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("ledger_entries") as batch:
        batch.add_column(sa.Column("reverses_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_ledger_entries_reverses_id_ledger_entries", "ledger_entries",
                                 ["reverses_id"], ["id"])
        batch.create_index("ix_ledger_entries_reverses_id", ["reverses_id"])


def downgrade():
    with op.batch_alter_table("ledger_entries") as batch:
        batch.drop_index("ix_ledger_entries_reverses_id")
        batch.drop_constraint("fk_ledger_entries_reverses_id_ledger_entries", type_="foreignkey")
        batch.drop_column("reverses_id")
