"""ballots: no index of vote_id alone

Three indexes of ballots begin with vote_id ((vote_id, voter_key), (vote_id, choice) and the facts' index), and
each serves what the index of vote_id alone served (a vote's ballots, the cascade of a deleted vote). Every ballot
wrote into it all the same: a page in fifteen of what a ballot writes to SQLite's log.

Revision ID: b4ll0t1dx001
Revises: ch41nh34d001
Create Date: 2026-12-03 23:00:00

"""
from alembic import op

revision = "b4ll0t1dx001"
down_revision = "ch41nh34d001"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_ballots_vote_id", table_name="ballots")


def downgrade():
    op.create_index("ix_ballots_vote_id", "ballots", ["vote_id"])
