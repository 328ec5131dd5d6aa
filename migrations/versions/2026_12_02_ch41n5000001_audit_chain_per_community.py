"""the audit log as one hash chain per community (and one for the site), no longer one chain for all

Events gain `chain` (the community's id, 0 for the site), anchors the chain they anchor. Existing events
and anchors are left exactly as they were, `chain` NULL: they stay the legacy chain, verified and
anchored as they were hashed, since recomputing them would change the hashes already printed on
published minutes and notices and kept in the anchor file. Each new chain's first event links to the
legacy chain's last hash.

Downgrading drops the column: events written after the split then no longer verify as one chain.

Revision ID: ch41n5000001
Revises: l3g4lcyc1e01
Create Date: 2026-12-02 19:20:00

"""
import sqlalchemy as sa
from alembic import op

revision = "ch41n5000001"
down_revision = "l3g4lcyc1e01"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_events_chain_id", ["chain", "id"], unique=False)
    with op.batch_alter_table("audit_anchors") as batch:
        batch.add_column(sa.Column("chain", sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table("audit_anchors") as batch:
        batch.drop_column("chain")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_chain_id")
        batch.drop_column("chain")
