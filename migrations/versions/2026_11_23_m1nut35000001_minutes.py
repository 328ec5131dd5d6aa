"""minutes: versioned consensus minutes of a consultation (published versions frozen)

Revision ID: m1nut35000001
Revises: acc0unt50002
Create Date: 2026-11-23 17:40:00

"""
import sqlalchemy as sa
from alembic import op

import deliberation.db

# revision identifiers, used by Alembic.
revision = "m1nut35000001"
down_revision = "acc0unt50002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('community_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('draft', 'published', name='minutesstatus', native_enum=False, length=20),
              nullable=False),
    sa.Column('closing_notes', sa.Text(), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('recorder', sa.String(length=200), nullable=False),
    sa.Column('change_note', sa.Text(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=True),
    sa.Column('content_digest', sa.String(length=64), nullable=True),
    sa.Column('ballot_digest', sa.String(length=64), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', deliberation.db.UTCDateTime(), nullable=False),
    sa.Column('updated_at', deliberation.db.UTCDateTime(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', deliberation.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['community_id'], ['communities.id'], name=op.f('fk_minutes_community_id_communities'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['consultation_id'], ['consultations.id'],
                            name=op.f('fk_minutes_consultation_id_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_minutes_created_by_id_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_minutes_published_by_id_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes')),
    sa.UniqueConstraint('consultation_id', 'number', name=op.f('uq_minutes_consultation_id_number'))
    )
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_community_id'), ['community_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_minutes_consultation_id'), ['consultation_id'], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        # A published version is frozen: the database itself refuses to change it (a correction is a
        # new row). Deleting stays possible, with its consultation.
        op.execute("""
            CREATE FUNCTION minutes_published_frozen() RETURNS trigger AS $$
            BEGIN
                IF OLD.status = 'published' THEN
                    RAISE EXCEPTION 'published minutes % cannot be changed', OLD.id;
                END IF;
                RETURN NEW;
            END
            $$ LANGUAGE plpgsql
        """)
        op.execute("""
            CREATE TRIGGER minutes_published_frozen BEFORE UPDATE ON minutes
            FOR EACH ROW EXECUTE FUNCTION minutes_published_frozen()
        """)
    elif op.get_bind().dialect.name == "sqlite":
        # The same on SQLite. A later batch_alter_table of `minutes` rebuilds the table: recreate it then.
        op.execute("""
            CREATE TRIGGER minutes_published_frozen BEFORE UPDATE ON minutes
            FOR EACH ROW WHEN OLD.status = 'published'
            BEGIN SELECT RAISE(ABORT, 'published minutes cannot be changed'); END
        """)


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS minutes_published_frozen ON minutes")
        op.execute("DROP FUNCTION IF EXISTS minutes_published_frozen()")
    elif op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS minutes_published_frozen")
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_consultation_id'))
        batch_op.drop_index(batch_op.f('ix_minutes_community_id'))
    op.drop_table('minutes')
