"""sign-ins kept on the server; API tokens' last use

A browser's cookies now carry the key of one row of `sign_ins`, which signing out ends: a saved
cookie replayed after `POST /logout` signs nobody in. Cookies issued before this change carried the
user's lasting session token and no longer sign in: everyone signs in once more.

Revision ID: s1gn1ns00001
Revises: da5b6a82c299
Create Date: 2026-12-02 11:30:00

"""
import sqlalchemy as sa
from alembic import op

import deliberation.db

revision = "s1gn1ns00001"
down_revision = "da5b6a82c299"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "sign_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.Column("ended_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_sign_ins_user_id_users"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_ins")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_sign_ins_key_hash")),
    )
    with op.batch_alter_table("sign_ins", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sign_ins_user_id"), ["user_id"], unique=False)
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("last_used_at", deliberation.db.UTCDateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("last_used_at")
    with op.batch_alter_table("sign_ins", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sign_ins_user_id"))
    op.drop_table("sign_ins")
