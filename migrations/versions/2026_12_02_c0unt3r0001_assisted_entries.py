"""entries recorded on a resident's behalf at the counter (帮办): who recorded them and how consent was given

Ballots, survey responses and comments carry ``recorded_by_id`` (the moderator or floor captain who typed
it in) and ``consent`` (in_person / phone / written); a comment also names the resident it speaks for
(``for_person_id``), since its author may be the helper when the resident has no login.

Revision ID: c0unt3r0001
Revises: m33t1ng5g001
Create Date: 2026-12-02 19:15:00

"""
import sqlalchemy as sa
from alembic import op

revision = "c0unt3r0001"
down_revision = "m33t1ng5g001"
branch_labels = None
depends_on = None

TABLES = ("ballots", "survey_responses", "comments")


def upgrade():
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("recorded_by_id", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("consent", sa.String(20), nullable=True))
            batch.create_foreign_key(f"fk_{table}_recorded_by_id_users", "users", ["recorded_by_id"], ["id"],
                                     ondelete="SET NULL")
    with op.batch_alter_table("comments") as batch:
        batch.add_column(sa.Column("for_person_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_comments_for_person_id_persons", "persons", ["for_person_id"], ["id"],
                                 ondelete="SET NULL")


def downgrade():
    with op.batch_alter_table("comments") as batch:
        batch.drop_constraint("fk_comments_for_person_id_persons", type_="foreignkey")
        batch.drop_column("for_person_id")
    for table in reversed(TABLES):
        with op.batch_alter_table(table) as batch:
            batch.drop_constraint(f"fk_{table}_recorded_by_id_users", type_="foreignkey")
            batch.drop_column("consent")
            batch.drop_column("recorded_by_id")
