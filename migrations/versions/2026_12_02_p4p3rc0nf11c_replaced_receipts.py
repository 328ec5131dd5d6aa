"""a settled paper conflict keeps the receipt hash it replaced

When the moderator counts a paper form instead of a ballot already counted, the replaced ballot's
receipt hash is kept with the conflict, so the old receipt code is answered "replaced" instead of
"not found".

Revision ID: p4p3rc0nf11c
Revises: e1ec70ra7e01
Create Date: 2026-12-02 11:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "p4p3rc0nf11c"
down_revision = "e1ec70ra7e01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("vote_paper_conflicts") as batch:
        batch.add_column(sa.Column("replaced_receipt_hash", sa.String(64), nullable=True))
        batch.create_index("ix_vote_paper_conflicts_replaced", ["vote_id", "replaced_receipt_hash"])


def downgrade():
    with op.batch_alter_table("vote_paper_conflicts") as batch:
        batch.drop_index("ix_vote_paper_conflicts_replaced")
        batch.drop_column("replaced_receipt_hash")
