"""deliveries by channel: e-mail, SMS and the daily digest, sent by a job queue

Users choose their channels (notify_email, notify_sms, notify_digest). One row per message that leaves
the site, with its state, attempts and last error, replaces the e-mail outbox; unsent outbox rows are
carried over as pending e-mail deliveries.

Revision ID: j0b5de11e001
Revises: c0unt3r0001
Create Date: 2026-12-02 19:30:00

"""
import sqlalchemy as sa
from alembic import op

from deliberation.db import UTCDateTime

revision = "j0b5de11e001"
down_revision = "c0unt3r0001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("notify_email", sa.Boolean(), server_default="1", nullable=False))
        batch.add_column(sa.Column("notify_sms", sa.Boolean(), server_default="0", nullable=False))
        batch.add_column(sa.Column("notify_digest", sa.Boolean(), server_default="0", nullable=False))
    op.create_table(
        "deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(80), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(20), nullable=False),
        sa.Column("address", sa.String(254), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_error", sa.String(500), server_default="", nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("due_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_deliveries_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_deliveries")),
        sa.UniqueConstraint("key", name=op.f("uq_deliveries_key")),
    )
    op.create_index(op.f("ix_deliveries_user_id"), "deliveries", ["user_id"])
    op.create_index("ix_deliveries_status_due", "deliveries", ["status", "due_at"])
    op.execute(
        "INSERT INTO deliveries (key, user_id, channel, address, subject, body, status, attempts, last_error,"
        " created_at, due_at) SELECT 'outbox:' || id, user_id, 'email', to_address, subject, body, 'pending',"
        " 0, last_error, created_at, created_at FROM outbox_messages"
        " WHERE sent_at IS NULL AND failed_at IS NULL AND to_address != ''"
    )
    op.drop_table("outbox_messages")


def downgrade():
    op.create_table(
        "outbox_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("to_address", sa.String(254), server_default="", nullable=False),
        sa.Column("failed_at", UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.String(500), server_default="", nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_outbox_messages_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox_messages")),
    )
    op.create_index(op.f("ix_outbox_messages_user_id"), "outbox_messages", ["user_id"])
    op.create_index(op.f("ix_outbox_messages_sent_at"), "outbox_messages", ["sent_at"])
    op.drop_index("ix_deliveries_status_due", table_name="deliveries")
    op.drop_index(op.f("ix_deliveries_user_id"), table_name="deliveries")
    op.drop_table("deliveries")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("notify_digest")
        batch.drop_column("notify_sms")
        batch.drop_column("notify_email")
