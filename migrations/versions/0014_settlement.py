"""Supplier settlement: settlements of a supplier's period, payout batches and their lines
(one live line per supplier and period), and suppliers' bank details.

Revision ID: 0014_settlement
Revises: 0013_statements
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_settlement'
down_revision = "0013_statements"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=24), nullable=False),
    sa.Column('status', sa.Enum('draft', 'approved', 'exported', 'paid', 'cancelled', name='payout_batch_status'), nullable=False),
    sa.Column('total_fen', sa.BigInteger(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('exported_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('bank_reference', sa.String(length=64), nullable=True),
    sa.Column('file_key', sa.String(length=120), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_payout_batches_created_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches')),
    sa.UniqueConstraint('number', name=op.f('uq_payout_batches_number'))
    )
    op.create_table('settlements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('supplier_name', sa.String(length=120), nullable=False),
    sa.Column('period_first', sa.Date(), nullable=False),
    sa.Column('period_last', sa.Date(), nullable=False),
    sa.Column('gross_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunds_fen', sa.BigInteger(), nullable=False),
    sa.Column('commission_fen', sa.BigInteger(), nullable=False),
    sa.Column('fees_fen', sa.BigInteger(), nullable=False),
    sa.Column('payable_fen', sa.BigInteger(), nullable=False),
    sa.Column('brought_forward_fen', sa.BigInteger(), nullable=False),
    sa.Column('amount_due_fen', sa.BigInteger(), nullable=False),
    sa.Column('rows', sa.JSON(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'paid', 'carried', name='settlement_status'), nullable=False),
    sa.Column('carried_into_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_by_id', sa.Integer(), nullable=True),
    sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pdf_key', sa.String(length=120), nullable=True),
    sa.Column('pdf_sha256', sa.String(length=64), nullable=True),
    sa.Column('csv_key', sa.String(length=120), nullable=True),
    sa.Column('csv_sha256', sa.String(length=64), nullable=True),
    sa.CheckConstraint('period_last >= period_first', name=op.f('ck_settlements_period')),
    sa.ForeignKeyConstraint(['carried_into_id'], ['settlements.id'], name=op.f('fk_settlements_carried_into_id_settlements')),
    sa.ForeignKeyConstraint(['confirmed_by_id'], ['users.id'], name=op.f('fk_settlements_confirmed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_settlements_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlements')),
    sa.UniqueConstraint('supplier_id', 'period_first', 'period_last', name='uq_settlements_supplier_period')
    )
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlements_supplier_id'), ['supplier_id'], unique=False)

    op.create_table('supplier_bank_accounts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('account_name', sa.String(length=120), nullable=False),
    sa.Column('bank_name', sa.String(length=120), nullable=False),
    sa.Column('account_cipher', sa.String(length=300), nullable=False),
    sa.Column('account_masked', sa.String(length=40), nullable=False),
    sa.Column('swift_bic', sa.String(length=11), nullable=True),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_supplier_bank_accounts_supplier_id_suppliers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_supplier_bank_accounts_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_supplier_bank_accounts')),
    sa.UniqueConstraint('supplier_id', name=op.f('uq_supplier_bank_accounts_supplier_id'))
    )
    op.create_table('payout_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=False),
    sa.Column('settlement_id', sa.Integer(), nullable=False),
    sa.Column('supplier_id', sa.Integer(), nullable=False),
    sa.Column('period_first', sa.Date(), nullable=False),
    sa.Column('period_last', sa.Date(), nullable=False),
    sa.Column('supplier_name', sa.String(length=120), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('released', sa.Boolean(), nullable=False),
    sa.Column('payee_name', sa.String(length=120), nullable=True),
    sa.Column('bank_name', sa.String(length=120), nullable=True),
    sa.Column('account_masked', sa.String(length=40), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_payout_lines_amount')),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payout_lines_batch_id_payout_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['settlement_id'], ['settlements.id'], name=op.f('fk_payout_lines_settlement_id_settlements')),
    sa.ForeignKeyConstraint(['supplier_id'], ['suppliers.id'], name=op.f('fk_payout_lines_supplier_id_suppliers')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_lines'))
    )
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_lines_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('uq_payout_lines_settlement', ['settlement_id'], unique=True, postgresql_where=sa.text('released = false'), sqlite_where=sa.text('released = false'))
        batch_op.create_index('uq_payout_lines_supplier_period', ['supplier_id', 'period_first', 'period_last'], unique=True, postgresql_where=sa.text('released = false'), sqlite_where=sa.text('released = false'))



def downgrade():
    with op.batch_alter_table('payout_lines', schema=None) as batch_op:
        batch_op.drop_index('uq_payout_lines_supplier_period', postgresql_where=sa.text('released = false'), sqlite_where=sa.text('released = false'))
        batch_op.drop_index('uq_payout_lines_settlement', postgresql_where=sa.text('released = false'), sqlite_where=sa.text('released = false'))
        batch_op.drop_index(batch_op.f('ix_payout_lines_batch_id'))

    op.drop_table('payout_lines')
    op.drop_table('supplier_bank_accounts')
    with op.batch_alter_table('settlements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlements_supplier_id'))

    op.drop_table('settlements')
    op.drop_table('payout_batches')
    sa.Enum(name='payout_batch_status').drop(op.get_bind(), checkfirst=True)
    sa.Enum(name='settlement_status').drop(op.get_bind(), checkfirst=True)
