"""Units get a staircase, users an optional e-mail address; floor captains per building.

Revision ID: acc0unt50002
Revises: m3rg3000001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import deliberation.db

revision = "acc0unt50002"
down_revision = "m3rg3000001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("units") as batch_op:
        batch_op.add_column(sa.Column("staircase", sa.String(length=20), server_default="", nullable=False))
    with op.batch_alter_table("users") as batch_op:
        batch_op.add_column(sa.Column("email", sa.String(length=254), nullable=True))
    op.create_table(
        "floor_captains",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("building_id", sa.Integer(), nullable=False),
        sa.Column("granted_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["building_id"], ["buildings.id"], name=op.f("fk_floor_captains_building_id_buildings"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["granted_by_id"], ["users.id"], name=op.f("fk_floor_captains_granted_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_floor_captains_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floor_captains")),
        sa.UniqueConstraint("user_id", "building_id", name=op.f("uq_floor_captains_user_id_building_id")),
    )
    with op.batch_alter_table("floor_captains") as batch_op:
        batch_op.create_index(batch_op.f("ix_floor_captains_user_id"), ["user_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_floor_captains_building_id"), ["building_id"], unique=False)


def downgrade():
    op.drop_table("floor_captains")
    with op.batch_alter_table("users") as batch_op:
        batch_op.drop_column("email")
    with op.batch_alter_table("units") as batch_op:
        batch_op.drop_column("staircase")
