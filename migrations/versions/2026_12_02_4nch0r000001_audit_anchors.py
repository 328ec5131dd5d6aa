"""the audit chain keyed and anchored; TRUNCATE refused on PostgreSQL

Each event gets a MAC of its hash under AUDIT_KEY (events written before stay without one, and
verify accepts that only before the first keyed event); `audit_anchors` keeps heads of the chain
that were printed or scheduled. On PostgreSQL a statement trigger refuses TRUNCATE, which the row
trigger of the initial schema does not see.

Revision ID: 4nch0r000001
Revises: 4b528841e9a9
Create Date: 2026-12-02 11:45:00

"""
import sqlalchemy as sa
from alembic import op

import deliberation.db

revision = "4nch0r000001"
down_revision = "4b528841e9a9"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("mac", sa.String(length=64), nullable=True))
    op.create_table(
        "audit_anchors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", deliberation.db.UTCDateTime(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("mac", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_anchors")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
        """)
        op.execute("""
            CREATE TRIGGER audit_anchors_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_anchors
            FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_anchors_append_only ON audit_anchors")
        op.execute("DROP TRIGGER IF EXISTS audit_events_no_truncate ON audit_events")
    op.drop_table("audit_anchors")
    with op.batch_alter_table("audit_events", schema=None) as batch_op:
        batch_op.drop_column("mac")
