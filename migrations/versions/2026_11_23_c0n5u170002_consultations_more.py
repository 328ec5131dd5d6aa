"""Consultations: eligibility by staircase, outbox delivery state, a joint meeting's room booking.

Revision ID: c0n5u170002
Revises: acc0unt50002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import deliberation.db  # noqa: F401  (UTCDateTime)

revision = "c0n5u170002"
down_revision = "acc0unt50002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "consultation_staircases",
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("staircase", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"],
                                name=op.f("fk_consultation_staircases_consultation_id_consultations"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"],
                                name=op.f("fk_consultation_staircases_building_id_buildings"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("consultation_id", "building_id", "staircase",
                                name=op.f("pk_consultation_staircases")),
    )
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.add_column(sa.Column("to_address", sa.String(length=254), server_default="", nullable=False))
        batch_op.add_column(sa.Column("failed_at", deliberation.db.UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column("last_error", sa.String(length=500), server_default="", nullable=False))
        batch_op.create_index(batch_op.f("ix_outbox_messages_sent_at"), ["sent_at"], unique=False)
    with op.batch_alter_table("joint_meetings") as batch_op:
        batch_op.add_column(sa.Column("booking_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_joint_meetings_booking_id_bookings"), "bookings",
                                    ["booking_id"], ["id"], ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("joint_meetings") as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_joint_meetings_booking_id_bookings"), type_="foreignkey")
        batch_op.drop_column("booking_id")
    with op.batch_alter_table("outbox_messages") as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_messages_sent_at"))
        batch_op.drop_column("last_error")
        batch_op.drop_column("failed_at")
        batch_op.drop_column("to_address")
    op.drop_table("consultation_staircases")
