"""Merge the voting, surveys, minutes and consultations branches.

Revision ID: m3rg3000002
Revises: c0n5u170002, v0t1ng000002, m1nut35000001, 5urv3y000001
Create Date: 2026-11-23
"""

revision = "m3rg3000002"
down_revision = ("c0n5u170002", "v0t1ng000002", "m1nut35000001", "5urv3y000001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
