"""joint meetings' sign-in, and a wish taken up (处理中)

meeting_attendances holds who was present at a joint meeting: a person of the roster (once per meeting),
a signed-in user without a person (once), or a department's representative (free text); how it was
recorded (the meeting's QR code or the sign-in sheet) and by whom. Ideas gain in_progress_at and
in_progress_by_id: a moderator marked the wish as being dealt with before answering it.

Revision ID: m33t1ng5g001
Revises: ch41n5000001
Create Date: 2026-12-02 19:30:00

"""
import sqlalchemy as sa
from alembic import op

from deliberation.db import UTCDateTime

revision = "m33t1ng5g001"
down_revision = "ch41n5000001"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "meeting_attendances",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("meeting_id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("department", sa.String(100), server_default="", nullable=False),
        sa.Column("name", sa.String(100), server_default="", nullable=False),
        sa.Column("source", sa.Enum("qr", "sheet", name="attendancesource", native_enum=False, length=20),
                  nullable=False),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["joint_meetings.id"],
                                name=op.f("fk_meeting_attendances_meeting_id_joint_meetings"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"],
                                name=op.f("fk_meeting_attendances_person_id_persons"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"],
                                name=op.f("fk_meeting_attendances_user_id_users"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"],
                                name=op.f("fk_meeting_attendances_recorded_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_attendances")),
        sa.UniqueConstraint("meeting_id", "person_id", name="uq_meeting_attendances_meeting_id_person_id"),
        sa.UniqueConstraint("meeting_id", "user_id", name="uq_meeting_attendances_meeting_id_user_id"),
    )
    op.create_index(op.f("ix_meeting_attendances_meeting_id"), "meeting_attendances", ["meeting_id"])
    with op.batch_alter_table("ideas") as batch:
        batch.add_column(sa.Column("in_progress_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("in_progress_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_ideas_in_progress_by_id_users"), "users", ["in_progress_by_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("ideas") as batch:
        batch.drop_constraint(op.f("fk_ideas_in_progress_by_id_users"), type_="foreignkey")
        batch.drop_column("in_progress_by_id")
        batch.drop_column("in_progress_at")
    op.drop_index(op.f("ix_meeting_attendances_meeting_id"), table_name="meeting_attendances")
    op.drop_table("meeting_attendances")
