"""voting speed: ballots carry their voter's facts; the electorate is counted once at the opening

Ballots get the voter's advisory flag, building, age band, tenure and area (copied from the frozen
electorate, which never changes after the opening) with a covering index starting with vote_id, so a
result is one GROUP BY over the ballots alone. vote_electorate_groups holds the electorate's counts
and areas per group, written at the opening. Existing rows are filled from vote_voters.

Revision ID: v0t1ng000002
Revises: v0t1ng000001
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

revision = "v0t1ng000002"
down_revision = "v0t1ng000001"
branch_labels = None
depends_on = None

FILL_BALLOTS = """
UPDATE ballots SET advisory = v.advisory, building = v.building, age_band = v.age_band, tenure = v.tenure,
                   area_cents = v.area_cents
FROM vote_voters AS v
WHERE v.vote_id = ballots.vote_id AND v.voter_key = ballots.voter_key AND ballots.advisory IS NULL
"""

FILL_GROUPS = """
INSERT INTO vote_electorate_groups (vote_id, advisory, building, age_band, tenure, voters, area_cents)
SELECT vote_id, advisory, building, age_band, tenure, count(*), coalesce(sum(area_cents), 0)
FROM vote_voters GROUP BY vote_id, advisory, building, age_band, tenure
"""


def upgrade():
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.add_column(sa.Column("advisory", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("building", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("age_band", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("tenure", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("area_cents", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_ballots_vote_facts",
            ["vote_id", "advisory", "building", "age_band", "tenure", "choice", "source", "area_cents"],
            unique=False,
        )
    op.create_table(
        "vote_electorate_groups",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("advisory", sa.Boolean(), nullable=False),
        sa.Column("building", sa.String(length=50), nullable=False),
        sa.Column("age_band", sa.String(length=20), nullable=False),
        sa.Column("tenure", sa.String(length=20), nullable=False),
        sa.Column("voters", sa.Integer(), nullable=False),
        sa.Column("area_cents", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_electorate_groups_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_id", "advisory", "building", "age_band", "tenure",
                                name=op.f("pk_vote_electorate_groups")),
    )
    op.execute(FILL_BALLOTS)
    op.execute(FILL_GROUPS)


def downgrade():
    op.drop_table("vote_electorate_groups")
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.drop_index("ix_ballots_vote_facts")
        batch_op.drop_column("area_cents")
        batch_op.drop_column("tenure")
        batch_op.drop_column("age_band")
        batch_op.drop_column("building")
        batch_op.drop_column("advisory")
