"""the electorate as the law counts it, and the proposal version a vote asks about

persons.is_developer marks a roster owner as the developer (建设单位): the units it still holds count
together as one owner (Supreme People's Court interpretation on building ownership, Art. 9).
votes.proposal_version and vote_options.proposal_version record the version of the proposal a vote
asks about, fixed when it opens; votes.electorate_counted how its electorate was counted at the opening.

Revision ID: e1ec70ra7e01
Revises: 4nch0r000001
Create Date: 2026-12-02 11:20:00.000000

"""
import sqlalchemy as sa
from alembic import op

revision = "e1ec70ra7e01"
down_revision = "4nch0r000001"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("persons") as batch:
        batch.add_column(sa.Column("is_developer", sa.Boolean(), nullable=False, server_default="0"))
    with op.batch_alter_table("votes") as batch:
        batch.add_column(sa.Column("proposal_version", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("electorate_counted", sa.JSON(), nullable=True))
    with op.batch_alter_table("vote_options") as batch:
        batch.add_column(sa.Column("proposal_version", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("vote_options") as batch:
        batch.drop_column("proposal_version")
    with op.batch_alter_table("votes") as batch:
        batch.drop_column("electorate_counted")
        batch.drop_column("proposal_version")
    with op.batch_alter_table("persons") as batch:
        batch.drop_column("is_developer")
