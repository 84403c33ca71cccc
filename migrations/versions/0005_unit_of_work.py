"""Durable after-commit work (intents); verified phone numbers move to users; price-list
imports lose the `running` state (an import commits in one transaction with its job).

Messages still waiting to be sent get an intent each, so nothing queued before the
upgrade is left behind.

Revision ID: 0005_unit_of_work
Revises: 0004_sms_fixes
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_unit_of_work"
down_revision = "0004_sms_fixes"
branch_labels = None
depends_on = None

ts = sa.DateTime(timezone=True)
INTENT_STATUS = sa.Enum("pending", "running", "done", "dead", name="intent_status")


def upgrade() -> None:
    op.create_table(
        "intents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("task", sa.String(200), nullable=False),
        sa.Column("args", sa.JSON(), nullable=False),
        sa.Column("status", INTENT_STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("run_after", ts, nullable=False),
        sa.Column("job_id", sa.String(64), nullable=True),
        sa.Column("started_at", ts, nullable=True),
        sa.Column("finished_at", ts, nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_intents"),
        sa.UniqueConstraint("key", name="uq_intents_key"),
    )
    op.create_index("ix_intents_status_run_after", "intents", ["status", "run_after"])
    op.execute(
        "INSERT INTO intents (key, task, args, status, attempts, run_after, created_at, updated_at) "
        "SELECT 'sms:' || id || ':' || attempts, 'app.notifications.jobs:send_sms', "
        "CAST('[' || id || ']' AS JSON), 'pending', 0, next_attempt_at, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP "
        "FROM sms_messages WHERE status IN ('queued', 'sending')")

    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("verified_phone", sa.String(20), nullable=True))
        batch.add_column(sa.Column("phone_verified_at", ts, nullable=True))
        batch.create_unique_constraint("uq_users_verified_phone", ["verified_phone"])
    op.execute(
        "UPDATE users SET verified_phone = (SELECT p.verified_phone FROM sms_profiles p WHERE p.user_id = users.id), "
        "phone_verified_at = (SELECT p.verified_at FROM sms_profiles p WHERE p.user_id = users.id)")
    with op.batch_alter_table("sms_profiles") as batch:
        batch.drop_constraint("uq_sms_profiles_verified_phone", type_="unique")
        batch.drop_column("verified_phone")
        batch.drop_column("verified_at")

    op.execute("UPDATE price_list_imports SET status = 'queued' WHERE status = 'running'")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE price_import_status RENAME TO price_import_status_old")
        op.execute("CREATE TYPE price_import_status AS ENUM ('queued', 'done', 'rejected', 'failed')")
        op.execute("ALTER TABLE price_list_imports ALTER COLUMN status TYPE price_import_status "
                   "USING status::text::price_import_status")
        op.execute("DROP TYPE price_import_status_old")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("ALTER TYPE price_import_status ADD VALUE IF NOT EXISTS 'running'")
    with op.batch_alter_table("sms_profiles") as batch:
        batch.add_column(sa.Column("verified_phone", sa.String(20), nullable=True))
        batch.add_column(sa.Column("verified_at", ts, nullable=True))
        batch.create_unique_constraint("uq_sms_profiles_verified_phone", ["verified_phone"])
    op.execute(
        "INSERT INTO sms_profiles (user_id, opted_out, created_at, updated_at) "
        "SELECT id, CAST('[]' AS JSON), CURRENT_TIMESTAMP, CURRENT_TIMESTAMP FROM users "
        "WHERE verified_phone IS NOT NULL AND id NOT IN (SELECT user_id FROM sms_profiles)")
    op.execute(
        "UPDATE sms_profiles SET verified_phone = (SELECT u.verified_phone FROM users u WHERE u.id = sms_profiles.user_id), "
        "verified_at = (SELECT u.phone_verified_at FROM users u WHERE u.id = sms_profiles.user_id)")
    with op.batch_alter_table("users") as batch:
        batch.drop_constraint("uq_users_verified_phone", type_="unique")
        batch.drop_column("phone_verified_at")
        batch.drop_column("verified_phone")
    op.drop_index("ix_intents_status_run_after", table_name="intents")
    op.drop_table("intents")
    INTENT_STATUS.drop(op.get_bind(), checkfirst=True)
