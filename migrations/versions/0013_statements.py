"""Buyer statements: one row per statement (monthly, or asked for on demand), its state,
the figures it found in the ledger and its stored PDF and CSV with their checksums.

Revision ID: 0013_statements
Revises: 0012_reconciliation
"""
from alembic import op
import sqlalchemy as sa


revision = "0013_statements"
down_revision = "0012_reconciliation"
branch_labels = None
depends_on = None

STATUS = sa.Enum("requested", "building", "ready", "failed", name="statement_status")


def upgrade():
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("month", sa.Date(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("language", sa.String(length=10), nullable=False),
        sa.Column("status", STATUS, nullable=False),
        sa.Column("phase", sa.String(length=10), nullable=True),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("error", sa.String(length=200), nullable=True),
        sa.Column("line_count", sa.Integer(), nullable=False),
        *[sa.Column(name, sa.BigInteger(), nullable=False) for name in (
            "opening_fen", "closing_fen", "charged_fen", "paid_fen", "credited_fen", "refunded_fen", "adjusted_fen",
            "vat_fen", "consumption_tax_fen", "tariff_fen")],
        sa.Column("pdf_key", sa.String(length=120), nullable=True),
        sa.Column("pdf_sha256", sa.String(length=64), nullable=True),
        sa.Column("pdf_size", sa.Integer(), nullable=True),
        sa.Column("csv_key", sa.String(length=120), nullable=True),
        sa.Column("csv_sha256", sa.String(length=64), nullable=True),
        sa.Column("csv_size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("period_end >= period_start", name=op.f("ck_statements_period")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_statements_company_id_companies")),
        sa.ForeignKeyConstraint(["requested_by_id"], ["users.id"], name=op.f("fk_statements_requested_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
        sa.UniqueConstraint("company_id", "month", name="uq_statements_company_month"),
    )
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.create_index("ix_statements_company_newest", ["company_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("statements", schema=None) as batch_op:
        batch_op.drop_index("ix_statements_company_newest")
    op.drop_table("statements")
    STATUS.drop(op.get_bind(), checkfirst=True)
