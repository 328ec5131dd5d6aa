"""the owners' decision as the law runs it: roll posted, objections, written proxies, results announced

Votes gain the roll's posting period (roll_posted_at, roll_until), the result's objection window
(objection_days, objections_until) and its announcement (announced_at, announced_by_id). Objections to
the roll or to the preliminary result are kept in vote_objections with their answers; written proxies
(委托) in vote_proxies; a ballot cast by proxy points to its authorisation. Votes closed before this
revision count as announced at their close.

Revision ID: l3g4lcyc1e01
Revises: p4p3rc0nf11c
Create Date: 2026-12-02 14:40:00

"""
import sqlalchemy as sa
from alembic import op

from deliberation.db import UTCDateTime

revision = "l3g4lcyc1e01"
down_revision = "p4p3rc0nf11c"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("votes") as batch:
        batch.add_column(sa.Column("roll_posted_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("roll_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("objection_days", sa.Integer(), server_default="3", nullable=False))
        batch.add_column(sa.Column("objections_until", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("announced_at", UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("announced_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_votes_announced_by_id_users"), "users", ["announced_by_id"], ["id"],
                                 ondelete="SET NULL")
    op.execute("UPDATE votes SET announced_at = closed_at, objections_until = closed_at WHERE closed_at IS NOT NULL")

    op.create_table(
        "vote_objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("stage", sa.Enum("roll", "result", name="objectionstage", native_enum=False, length=20),
                  nullable=False),
        sa.Column("lodged_by_id", sa.Integer(), nullable=True),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("reason", sa.String(1000), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("answered_at", UTCDateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("accepted", sa.Boolean(), nullable=True),
        sa.Column("answer", sa.String(1000), nullable=False),
        sa.Column("correction", sa.JSON(), nullable=True),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_objections_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["lodged_by_id"], ["users.id"], name=op.f("fk_vote_objections_lodged_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["person_id"], ["persons.id"], name=op.f("fk_vote_objections_person_id_persons"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["unit_id"], ["units.id"], name=op.f("fk_vote_objections_unit_id_units"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["answered_by_id"], ["users.id"],
                                name=op.f("fk_vote_objections_answered_by_id_users"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_objections")),
    )
    op.create_index("ix_vote_objections_vote_stage", "vote_objections", ["vote_id", "stage", "answered_at"])

    op.create_table(
        "vote_proxies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("vote_id", sa.Integer(), nullable=False),
        sa.Column("owner_person_id", sa.Integer(), nullable=False),
        sa.Column("proxy_person_id", sa.Integer(), nullable=False),
        sa.Column("instruction", sa.String(1000), nullable=True),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("document", sa.String(200), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("revoked_at", UTCDateTime(), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["vote_id"], ["votes.id"], name=op.f("fk_vote_proxies_vote_id_votes"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["owner_person_id"], ["persons.id"],
                                name=op.f("fk_vote_proxies_owner_person_id_persons"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["proxy_person_id"], ["persons.id"],
                                name=op.f("fk_vote_proxies_proxy_person_id_persons"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["recorded_by_id"], ["users.id"], name=op.f("fk_vote_proxies_recorded_by_id_users"),
                                ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["revoked_by_id"], ["users.id"], name=op.f("fk_vote_proxies_revoked_by_id_users"),
                                ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vote_proxies")),
    )
    op.create_index("ix_vote_proxies_vote_owner", "vote_proxies", ["vote_id", "owner_person_id"])
    op.create_index("ix_vote_proxies_vote_proxy", "vote_proxies", ["vote_id", "proxy_person_id"])

    with op.batch_alter_table("ballots") as batch:
        batch.add_column(sa.Column("proxy_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(op.f("fk_ballots_proxy_id_vote_proxies"), "vote_proxies", ["proxy_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("ballots") as batch:
        batch.drop_constraint(op.f("fk_ballots_proxy_id_vote_proxies"), type_="foreignkey")
        batch.drop_column("proxy_id")
    op.drop_index("ix_vote_proxies_vote_proxy", table_name="vote_proxies")
    op.drop_index("ix_vote_proxies_vote_owner", table_name="vote_proxies")
    op.drop_table("vote_proxies")
    op.drop_index("ix_vote_objections_vote_stage", table_name="vote_objections")
    op.drop_table("vote_objections")
    with op.batch_alter_table("votes") as batch:
        batch.drop_constraint(op.f("fk_votes_announced_by_id_users"), type_="foreignkey")
        for column in ("announced_by_id", "announced_at", "objections_until", "objection_days", "roll_until",
                       "roll_posted_at"):
            batch.drop_column(column)
