"""voting: votes, options, the frozen electorate, ballots (one per voter key) and paper conflicts

Revision ID: v0t1ng000001
Revises: acc0unt50002
Create Date: 2026-11-23
"""

import sqlalchemy as sa
from alembic import op

import deliberation.db

revision = "v0t1ng000001"
down_revision = "acc0unt50002"
branch_labels = None
depends_on = None


def _enum(name, *values):
    return sa.Enum(*values, name=name, native_enum=False, length=20)


def upgrade():
    op.create_table(
        "votes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("community_id", sa.Integer(), nullable=False),
        sa.Column("consultation_id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("kind", _enum("votekind", "proposal", "single", "approval", "ranked"), nullable=False),
        sa.Column("rule_name", sa.String(length=50), nullable=False),
        sa.Column("rule_params", sa.JSON(), nullable=False),
        sa.Column("basis", _enum("votebasis", "person", "household", "owner"), nullable=False),
        sa.Column("secret", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("advisory_all", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("show_running", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("opens_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("closes_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("opened_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("closed_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.Column("decision", sa.JSON(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["community_id"], ["communities.id"], name=op.f("fk_votes_community_id_communities"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["consultation_id"], ["consultations.id"],
                                name=op.f("fk_votes_consultation_id_consultations"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name=op.f("fk_votes_proposal_id_proposals"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["created_by_id"], ["users.id"], name=op.f("fk_votes_created_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_votes")),
    )
    with op.batch_alter_table("votes") as batch_op:
        batch_op.create_index(batch_op.f("ix_votes_community_id"), ["community_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_votes_consultation_id"), ["consultation_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_votes_proposal_id"), ["proposal_id"], unique=False)

    op.create_table(
        "vote_options",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_options_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proposal_id"], ["proposals.id"], name=op.f("fk_vote_options_proposal_id_proposals"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_options")),
        sa.UniqueConstraint("vote_id", "position", name=op.f("uq_vote_options_vote_id_position")),
    )
    with op.batch_alter_table("vote_options") as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_options_vote_id"), ["vote_id"], unique=False)

    op.create_table(
        "vote_voters",
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=40), nullable=False),
        sa.Column("advisory", sa.Boolean(), server_default="0", nullable=False),
        sa.Column("person_ids", sa.JSON(), nullable=False),
        sa.Column("area_cents", sa.Integer(), server_default="0", nullable=False),
        sa.Column("building", sa.String(length=50), server_default="", nullable=False),
        sa.Column("age_band", sa.String(length=20), server_default="", nullable=False),
        sa.Column("tenure", sa.String(length=20), server_default="", nullable=False),
        sa.Column("took_part", sa.Boolean(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_voters_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("vote_id", "voter_key", name=op.f("pk_vote_voters")),
    )

    op.create_table(
        "vote_voter_units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_voter_units_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_vote_voter_units_unit_id_units"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_voter_units")),
    )
    with op.batch_alter_table("vote_voter_units") as batch_op:
        batch_op.create_index("ix_vote_voter_units_vote_unit", ["vote_id", "unit_id"], unique=False)

    op.create_table(
        "ballots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=40), nullable=True),
        sa.Column("choice", sa.String(length=1000), nullable=False),
        sa.Column("source", _enum("ballotsource", "online", "paper"), nullable=False),
        sa.Column("cast_by_id", sa.Integer(), nullable=True),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("receipt_hash", sa.String(length=64), nullable=False),
        sa.Column("proposal_version", sa.Integer(), nullable=True),
        sa.Column("changes", sa.Integer(), server_default="0", nullable=False),
        sa.Column("cast_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_ballots_vote_id_votes"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["cast_by_id"], ["users.id"], name=op.f("fk_ballots_cast_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"], name=op.f("fk_ballots_entered_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ballots")),
        sa.UniqueConstraint("vote_id", "voter_key", name=op.f("uq_ballots_vote_id_voter_key")),
        sa.UniqueConstraint("receipt_hash", name=op.f("uq_ballots_receipt_hash")),
    )
    with op.batch_alter_table("ballots") as batch_op:
        batch_op.create_index(batch_op.f("ix_ballots_vote_id"), ["vote_id"], unique=False)
        batch_op.create_index("ix_ballots_vote_choice", ["vote_id", "choice"], unique=False)

    op.create_table(
        "vote_paper_conflicts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("voter_key", sa.String(length=40), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("unit_label", sa.String(length=80), nullable=False),
        sa.Column("choice", sa.String(length=1000), nullable=True),
        sa.Column("existing_source", sa.String(length=20), nullable=False),
        sa.Column("entered_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.Column("resolution", sa.String(length=20), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.Column("resolved_at", deliberation.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_paper_conflicts_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_vote_paper_conflicts_unit_id_units"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["entered_by_id"], ["users.id"],
                                name=op.f("fk_vote_paper_conflicts_entered_by_id_users"), ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["resolved_by_id"], ["users.id"],
                                name=op.f("fk_vote_paper_conflicts_resolved_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_paper_conflicts")),
    )
    with op.batch_alter_table("vote_paper_conflicts") as batch_op:
        batch_op.create_index(batch_op.f("ix_vote_paper_conflicts_vote_id"), ["vote_id"], unique=False)


def downgrade():
    op.drop_table("vote_paper_conflicts")
    op.drop_table("ballots")
    op.drop_table("vote_voter_units")
    op.drop_table("vote_voters")
    op.drop_table("vote_options")
    op.drop_table("votes")
