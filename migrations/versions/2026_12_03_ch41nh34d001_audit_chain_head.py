"""on PostgreSQL, an audit chain's lock and its last hash in one round trip (audit_chain_head)

An append to a chain takes the chain's advisory lock and then reads the chain's last hash. In one SQL
statement the read would see the snapshot taken when the statement began, before the lock was granted, and
miss an event committed meanwhile; in a function of its own (VOLATILE) each query takes a fresh snapshot,
so the read after the lock sees the last event the lock's previous holder committed. NULL when the chain
has no event yet and the legacy chain none either (the caller starts from GENESIS). SQLite has one writer
at a time and needs no lock: nothing there.

Revision ID: ch41nh34d001
Revises: c0mm3n7v3r01
Create Date: 2026-12-03 13:40:00

"""
from alembic import op

revision = "ch41nh34d001"
down_revision = "c0mm3n7v3r01"
branch_labels = None
depends_on = None


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION audit_chain_head(lock_space integer, chain_key integer) RETURNS text
            LANGUAGE plpgsql VOLATILE AS $$
            BEGIN
                PERFORM pg_advisory_xact_lock(lock_space, chain_key);
                RETURN coalesce(
                    (SELECT hash FROM audit_events WHERE chain = chain_key ORDER BY id DESC LIMIT 1),
                    (SELECT hash FROM audit_events WHERE chain IS NULL ORDER BY id DESC LIMIT 1));
            END
            $$
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS audit_chain_head(integer, integer)")
