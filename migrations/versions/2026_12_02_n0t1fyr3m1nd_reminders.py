"""reminders before a vote or a survey closes, and notices sent once

Votes and surveys gain the moderator's reminder days (reminder_days, e.g. "3,1": three days and one day
before the close; "1" by default, "" for none). notice_rounds records each round of notices sent about a
vote or survey (its opening, its result, each reminder day) once; reminders_sent each person reminded, once
per vote or survey and day.

Revision ID: n0t1fyr3m1nd
Revises: j0b5de11e001
Create Date: 2026-12-02 19:30:00

"""
import sqlalchemy as sa
from alembic import op

from deliberation.db import UTCDateTime

revision = "n0t1fyr3m1nd"
down_revision = "j0b5de11e001"
branch_labels = None
depends_on = None


def upgrade():
    for table in ("votes", "surveys"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("reminder_days", sa.String(length=40), server_default="1", nullable=False))
    op.create_table(
        "notice_rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.String(length=20), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notice_rounds")),
        sa.UniqueConstraint("subject", "subject_id", "round", name=op.f("uq_notice_rounds_subject_subject_id_round")),
    )
    op.create_table(
        "reminders_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=10), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("sent_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reminders_sent_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reminders_sent")),
        sa.UniqueConstraint("subject", "subject_id", "user_id", "days", name=op.f("uq_reminders_sent_subject_subject_id_user_id_days")),
    )
    op.create_index(op.f("ix_reminders_sent_user_id"), "reminders_sent", ["user_id"])


def downgrade():
    op.drop_index(op.f("ix_reminders_sent_user_id"), table_name="reminders_sent")
    op.drop_table("reminders_sent")
    op.drop_table("notice_rounds")
    for table in ("votes", "surveys"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("reminder_days")
