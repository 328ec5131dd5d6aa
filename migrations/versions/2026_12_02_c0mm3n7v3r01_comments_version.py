"""a session's comments' version, bumped by every change its comment list shows

The session page caches the shared part of its comment list under this number (consultations.versions);
bumped in the transaction that changes a comment, so a page read after the commit never meets an older list.

Revision ID: c0mm3n7v3r01
Revises: n0t1fyr3m1nd
Create Date: 2026-12-02 19:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c0mm3n7v3r01"
down_revision = "n0t1fyr3m1nd"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("consultations") as batch:
        batch.add_column(sa.Column("comments_version", sa.Integer(), nullable=False, server_default="0"))


def downgrade():
    with op.batch_alter_table("consultations") as batch:
        batch.drop_column("comments_version")
