"""SMS notifications: messages (the outbox), one-time codes and per-user SMS settings.

Revision ID: 0003_notifications
Revises: 0002_catalog
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0003_notifications"
down_revision = "0002_catalog"
branch_labels = None
depends_on = None

SMS_STATUS = ("queued", "sending", "sent", "failed")
CODE_PURPOSE = ("login", "verify_phone")


def _enum(name: str, values: tuple[str, ...]) -> sa.Enum:
    if op.get_bind().dialect.name == "postgresql":
        return postgresql.ENUM(*values, name=name, create_type=False)
    return sa.Enum(*values, name=name)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(*SMS_STATUS, name="sms_status").create(op.get_bind(), checkfirst=True)
        postgresql.ENUM(*CODE_PURPOSE, name="sms_code_purpose").create(op.get_bind(), checkfirst=True)
    ts = sa.DateTime(timezone=True)

    op.create_table(
        "sms_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("language", sa.String(10), nullable=False),
        sa.Column("event", sa.String(40), nullable=False),
        sa.Column("category", sa.String(20), nullable=False),
        sa.Column("template_code", sa.String(40), nullable=False),
        sa.Column("params", sa.JSON(), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", _enum("sms_status", SMS_STATUS), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", ts, nullable=False),
        sa.Column("provider", sa.String(20), nullable=True),
        sa.Column("provider_id", sa.String(100), nullable=True),
        sa.Column("error_code", sa.String(100), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("dedup_key", sa.String(200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("about_type", sa.String(40), nullable=True),
        sa.Column("about_id", sa.Integer(), nullable=True),
        sa.Column("sent_at", ts, nullable=True),
        sa.Column("failed_at", ts, nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sms_messages_user_id_users",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_sms_messages"),
        sa.UniqueConstraint("dedup_key", name="uq_sms_messages_dedup_key"),
    )
    op.create_index("ix_sms_messages_status_next_attempt_at", "sms_messages", ["status", "next_attempt_at"])
    op.create_index("ix_sms_messages_phone_created_at", "sms_messages", ["phone", "created_at"])
    op.create_index("ix_sms_messages_user_id", "sms_messages", ["user_id"])

    op.create_table(
        "sms_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("phone", sa.String(20), nullable=False),
        sa.Column("purpose", _enum("sms_code_purpose", CODE_PURPOSE), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("nonce", sa.String(32), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("ip", sa.String(45), nullable=True),
        sa.Column("message_id", sa.Integer(), nullable=True),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("expires_at", ts, nullable=False),
        sa.Column("consumed_at", ts, nullable=True),
        sa.Column("voided_at", ts, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sms_codes_user_id_users", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["message_id"], ["sms_messages.id"], name="fk_sms_codes_message_id_sms_messages",
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name="pk_sms_codes"),
    )
    op.create_index("ix_sms_codes_phone_created_at", "sms_codes", ["phone", "created_at"])
    op.create_index("ix_sms_codes_ip_created_at", "sms_codes", ["ip", "created_at"])

    op.create_table(
        "sms_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("verified_phone", sa.String(20), nullable=True),
        sa.Column("verified_at", ts, nullable=True),
        sa.Column("opted_out", sa.JSON(), nullable=False),
        sa.Column("created_at", ts, nullable=False),
        sa.Column("updated_at", ts, nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_sms_profiles_user_id_users", ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name="pk_sms_profiles"),
        sa.UniqueConstraint("verified_phone", name="uq_sms_profiles_verified_phone"),
    )


def downgrade() -> None:
    op.drop_table("sms_profiles")
    op.drop_index("ix_sms_codes_ip_created_at", table_name="sms_codes")
    op.drop_index("ix_sms_codes_phone_created_at", table_name="sms_codes")
    op.drop_table("sms_codes")
    op.drop_index("ix_sms_messages_user_id", table_name="sms_messages")
    op.drop_index("ix_sms_messages_phone_created_at", table_name="sms_messages")
    op.drop_index("ix_sms_messages_status_next_attempt_at", table_name="sms_messages")
    op.drop_table("sms_messages")
    if op.get_bind().dialect.name == "postgresql":
        postgresql.ENUM(name="sms_code_purpose").drop(op.get_bind(), checkfirst=True)
        postgresql.ENUM(name="sms_status").drop(op.get_bind(), checkfirst=True)
