"""SMS: a message's expiry (one-time codes are not sent once stale) and its RQ job id
(the sweep leaves a message alone while its job still waits in Redis).

Revision ID: 0004_sms_fixes
Revises: 0003_notifications
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_sms_fixes"
down_revision = "0003_notifications"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("sms_messages", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("sms_messages", sa.Column("job_id", sa.String(64), nullable=True))


def downgrade() -> None:
    op.drop_column("sms_messages", "job_id")
    op.drop_column("sms_messages", "expires_at")
