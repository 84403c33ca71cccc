"""The helpdesk: tickets, their messages and attachments, SLA calendars, policies, clocks and
breach records, and canned replies. Queues walk (assignee, due) and (due) indexes; the
subject search has a trigram index on PostgreSQL.

Revision ID: 0015_helpdesk
Revises: 0014_settlement
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_helpdesk'
down_revision = "0014_settlement"
branch_labels = None
depends_on = None

# The queues' partial indexes cover only the tickets someone still works on.
ACTIVE = "status IN ('new', 'open', 'pending_customer')"
WORKING = "status IN ('new', 'open')"


def upgrade():
    op.create_table('helpdesk_calendars',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=False),
    sa.Column('timezone', sa.String(length=40), nullable=False),
    sa.Column('always_open', sa.Boolean(), nullable=False),
    sa.Column('hours', sa.JSON(), nullable=False),
    sa.Column('holidays', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_calendars')),
    sa.UniqueConstraint('name', name=op.f('uq_helpdesk_calendars_name'))
    )
    op.create_table('helpdesk_canned_replies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('body', sa.String(length=5000), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_helpdesk_canned_replies_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_canned_replies')),
    sa.UniqueConstraint('title', name=op.f('uq_helpdesk_canned_replies_title'))
    )
    op.create_table('helpdesk_sla_policies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_type', sa.Enum('complaint', 'inquiry', 'suggestion', name='helpdesk_ticket_type'), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='helpdesk_priority'), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('first_response_minutes', sa.Integer(), nullable=False),
    sa.Column('next_response_minutes', sa.Integer(), nullable=False),
    sa.Column('resolution_minutes', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['calendar_id'], ['helpdesk_calendars.id'], name=op.f('fk_helpdesk_sla_policies_calendar_id_helpdesk_calendars')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_sla_policies')),
    sa.UniqueConstraint('ticket_type', 'priority', name='uq_helpdesk_sla_policies_type_priority')
    )
    op.create_table('helpdesk_tickets',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.String(length=16), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('requester_id', sa.Integer(), nullable=False),
    sa.Column('type', sa.Enum('complaint', 'inquiry', 'suggestion', name='helpdesk_ticket_type'), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='helpdesk_priority'), nullable=False),
    sa.Column('status', sa.Enum('new', 'open', 'pending_customer', 'resolved', 'closed', name='helpdesk_ticket_status'), nullable=False),
    sa.Column('subject', sa.String(length=200), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('policy_id', sa.Integer(), nullable=True),
    sa.Column('next_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_sort', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_message_by', sa.String(length=10), nullable=False),
    sa.Column('first_response_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('rating', sa.SmallInteger(), nullable=True),
    sa.Column('rating_comment', sa.String(length=1000), nullable=True),
    sa.Column('rated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_helpdesk_tickets_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_helpdesk_tickets_company_id_companies')),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_helpdesk_tickets_order_id_orders'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['policy_id'], ['helpdesk_sla_policies.id'], name=op.f('fk_helpdesk_tickets_policy_id_helpdesk_sla_policies'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requester_id'], ['users.id'], name=op.f('fk_helpdesk_tickets_requester_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_tickets')),
    sa.UniqueConstraint('number', name=op.f('uq_helpdesk_tickets_number'))
    )
    with op.batch_alter_table('helpdesk_tickets', schema=None) as batch_op:
        batch_op.create_index('ix_helpdesk_tickets_assignee', ['assignee_id', 'id'], unique=False)
        batch_op.create_index('ix_helpdesk_tickets_active_assignee', ['assignee_id', 'due_sort', 'id'], unique=False,
                              postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
        batch_op.create_index('ix_helpdesk_tickets_company', ['company_id', 'id'], unique=False)
        batch_op.create_index('ix_helpdesk_tickets_working_due', ['due_sort', 'id'], unique=False,
                              postgresql_where=sa.text(WORKING), sqlite_where=sa.text(WORKING))
        batch_op.create_index(batch_op.f('ix_helpdesk_tickets_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_helpdesk_tickets_status_updated', ['status', 'updated_at', 'id'], unique=False)
        batch_op.create_index('ix_helpdesk_tickets_updated', ['updated_at'], unique=False)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.create_index("ix_helpdesk_tickets_subject_trgm", "helpdesk_tickets", ["subject"], postgresql_using="gin",
                        postgresql_ops={"subject": "gin_trgm_ops"})

    op.create_table('helpdesk_messages',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('kind', sa.Enum('customer', 'agent', 'note', name='helpdesk_message_kind'), nullable=False),
    sa.Column('body', sa.String(length=5000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_helpdesk_messages_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['ticket_id'], ['helpdesk_tickets.id'], name=op.f('fk_helpdesk_messages_ticket_id_helpdesk_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_messages'))
    )
    with op.batch_alter_table('helpdesk_messages', schema=None) as batch_op:
        batch_op.create_index('ix_helpdesk_messages_ticket', ['ticket_id', 'id'], unique=False)

    op.create_table('helpdesk_sla_clocks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Enum('first_response', 'next_response', 'resolution', name='helpdesk_sla_target'), nullable=False),
    sa.Column('calendar_id', sa.Integer(), nullable=False),
    sa.Column('target_seconds', sa.Integer(), nullable=False),
    sa.Column('elapsed_seconds', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('running_since', sa.DateTime(timezone=True), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('warned_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['calendar_id'], ['helpdesk_calendars.id'], name=op.f('fk_helpdesk_sla_clocks_calendar_id_helpdesk_calendars')),
    sa.ForeignKeyConstraint(['ticket_id'], ['helpdesk_tickets.id'], name=op.f('fk_helpdesk_sla_clocks_ticket_id_helpdesk_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_sla_clocks'))
    )
    with op.batch_alter_table('helpdesk_sla_clocks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helpdesk_sla_clocks_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('helpdesk_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['message_id'], ['helpdesk_messages.id'], name=op.f('fk_helpdesk_attachments_message_id_helpdesk_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['ticket_id'], ['helpdesk_tickets.id'], name=op.f('fk_helpdesk_attachments_ticket_id_helpdesk_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_attachments'))
    )
    with op.batch_alter_table('helpdesk_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helpdesk_attachments_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_helpdesk_attachments_ticket_id'), ['ticket_id'], unique=False)

    op.create_table('helpdesk_sla_breaches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('clock_id', sa.Integer(), nullable=False),
    sa.Column('ticket_id', sa.Integer(), nullable=False),
    sa.Column('company_id', sa.Integer(), nullable=False),
    sa.Column('target', sa.Enum('first_response', 'next_response', 'resolution', name='helpdesk_sla_target'), nullable=False),
    sa.Column('ticket_type', sa.Enum('complaint', 'inquiry', 'suggestion', name='helpdesk_ticket_type'), nullable=False),
    sa.Column('priority', sa.Enum('low', 'normal', 'high', 'urgent', name='helpdesk_priority'), nullable=False),
    sa.Column('assignee_id', sa.Integer(), nullable=True),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('breached_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['assignee_id'], ['users.id'], name=op.f('fk_helpdesk_sla_breaches_assignee_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['clock_id'], ['helpdesk_sla_clocks.id'], name=op.f('fk_helpdesk_sla_breaches_clock_id_helpdesk_sla_clocks'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['company_id'], ['companies.id'], name=op.f('fk_helpdesk_sla_breaches_company_id_companies')),
    sa.ForeignKeyConstraint(['ticket_id'], ['helpdesk_tickets.id'], name=op.f('fk_helpdesk_sla_breaches_ticket_id_helpdesk_tickets'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_helpdesk_sla_breaches')),
    sa.UniqueConstraint('clock_id', name=op.f('uq_helpdesk_sla_breaches_clock_id'))
    )
    with op.batch_alter_table('helpdesk_sla_breaches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_helpdesk_sla_breaches_breached_at'), ['breached_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_helpdesk_sla_breaches_ticket_id'), ['ticket_id'], unique=False)



def downgrade():
    with op.batch_alter_table('helpdesk_sla_breaches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helpdesk_sla_breaches_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_helpdesk_sla_breaches_breached_at'))

    op.drop_table('helpdesk_sla_breaches')
    with op.batch_alter_table('helpdesk_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helpdesk_attachments_ticket_id'))
        batch_op.drop_index(batch_op.f('ix_helpdesk_attachments_message_id'))

    op.drop_table('helpdesk_attachments')
    with op.batch_alter_table('helpdesk_sla_clocks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_helpdesk_sla_clocks_ticket_id'))

    op.drop_table('helpdesk_sla_clocks')
    with op.batch_alter_table('helpdesk_messages', schema=None) as batch_op:
        batch_op.drop_index('ix_helpdesk_messages_ticket')

    op.drop_table('helpdesk_messages')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_helpdesk_tickets_subject_trgm", table_name="helpdesk_tickets")
    with op.batch_alter_table('helpdesk_tickets', schema=None) as batch_op:
        batch_op.drop_index('ix_helpdesk_tickets_updated')
        batch_op.drop_index('ix_helpdesk_tickets_status_updated')
        batch_op.drop_index(batch_op.f('ix_helpdesk_tickets_order_id'))
        batch_op.drop_index('ix_helpdesk_tickets_working_due')
        batch_op.drop_index('ix_helpdesk_tickets_company')
        batch_op.drop_index('ix_helpdesk_tickets_active_assignee')
        batch_op.drop_index('ix_helpdesk_tickets_assignee')

    op.drop_table('helpdesk_tickets')
    op.drop_table('helpdesk_sla_policies')
    op.drop_table('helpdesk_canned_replies')
    op.drop_table('helpdesk_calendars')
    for name in ("helpdesk_sla_target", "helpdesk_message_kind", "helpdesk_ticket_status", "helpdesk_priority",
                 "helpdesk_ticket_type"):
        sa.Enum(name=name).drop(op.get_bind(), checkfirst=True)
