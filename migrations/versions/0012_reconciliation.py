"""Reconciliation with WeChat Pay's daily bills: one run per bill day with its counts and both
sides' totals, and the exceptions a person or a query settles.

Revision ID: 0012_reconciliation
Revises: 0011_api_tokens
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_reconciliation'
down_revision = '0011_api_tokens'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('reconciliation_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('bill_date', sa.Date(), nullable=False),
    sa.Column('status', sa.Enum('queued', 'done', 'failed', name='reconciliation_run_status'), nullable=False),
    sa.Column('requests', sa.Integer(), nullable=False),
    sa.Column('runs', sa.Integer(), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('error', sa.String(length=500), nullable=True),
    sa.Column('no_bill', sa.Boolean(), nullable=False),
    sa.Column('bill_key', sa.String(length=120), nullable=True),
    sa.Column('bill_sha256', sa.String(length=64), nullable=True),
    sa.Column('bill_size', sa.BigInteger(), nullable=True),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('matched', sa.Integer(), nullable=False),
    sa.Column('missing_here', sa.Integer(), nullable=False),
    sa.Column('repaired', sa.Integer(), nullable=False),
    sa.Column('missing_remote', sa.Integer(), nullable=False),
    sa.Column('amount_mismatch', sa.Integer(), nullable=False),
    sa.Column('state_mismatch', sa.Integer(), nullable=False),
    sa.Column('open_exceptions', sa.Integer(), nullable=False),
    sa.Column('bill_count', sa.Integer(), nullable=False),
    sa.Column('bill_paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('bill_refund_fen', sa.BigInteger(), nullable=False),
    sa.Column('bill_fee_1e5_yuan', sa.BigInteger(), nullable=False),
    sa.Column('our_count', sa.Integer(), nullable=False),
    sa.Column('our_paid_fen', sa.BigInteger(), nullable=False),
    sa.Column('our_refund_fen', sa.BigInteger(), nullable=False),
    sa.Column('our_fee_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_reconciliation_runs_requested_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_runs')),
    sa.UniqueConstraint('bill_date', name=op.f('uq_reconciliation_runs_bill_date'))
    )
    op.create_table('reconciliation_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('run_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('outcome', sa.Enum('missing_here', 'missing_remote', 'amount_mismatch', 'state_mismatch', name='reconciliation_outcome'), nullable=False),
    sa.Column('status', sa.Enum('open', 'repaired', 'resolved', name='reconciliation_exception_status'), nullable=False),
    sa.Column('transaction_id', sa.String(length=32), nullable=True),
    sa.Column('out_trade_no', sa.String(length=32), nullable=True),
    sa.Column('out_refund_no', sa.String(length=64), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('traded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('our_fen', sa.BigInteger(), nullable=True),
    sa.Column('bill_fen', sa.BigInteger(), nullable=True),
    sa.Column('bill_fee_1e5_yuan', sa.BigInteger(), nullable=True),
    sa.Column('our_state', sa.String(length=20), nullable=True),
    sa.Column('bill_state', sa.String(length=20), nullable=True),
    sa.Column('finding', sa.String(length=40), nullable=True),
    sa.Column('finding_detail', sa.String(length=200), nullable=True),
    sa.Column('queried_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('resolved_by_id', sa.Integer(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['resolved_by_id'], ['users.id'], name=op.f('fk_reconciliation_exceptions_resolved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_runs.id'], name=op.f('fk_reconciliation_exceptions_run_id_reconciliation_runs'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_exceptions')),
    sa.UniqueConstraint('run_id', 'kind', 'key', name='uq_reconciliation_exceptions_row')
    )
    with op.batch_alter_table('reconciliation_exceptions', schema=None) as batch_op:
        batch_op.create_index('ix_reconciliation_exceptions_outcome_status', ['outcome', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_exceptions_out_refund_no'), ['out_refund_no'], unique=False)
        batch_op.create_index('ix_reconciliation_exceptions_run_status', ['run_id', 'status', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_reconciliation_exceptions_transaction_id'), ['transaction_id'], unique=False)


def downgrade():
    with op.batch_alter_table('reconciliation_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_exceptions_transaction_id'))
        batch_op.drop_index('ix_reconciliation_exceptions_run_status')
        batch_op.drop_index(batch_op.f('ix_reconciliation_exceptions_out_refund_no'))
        batch_op.drop_index('ix_reconciliation_exceptions_outcome_status')

    op.drop_table('reconciliation_exceptions')
    op.drop_table('reconciliation_runs')
    for name in ("reconciliation_exception_status", "reconciliation_outcome", "reconciliation_run_status"):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
