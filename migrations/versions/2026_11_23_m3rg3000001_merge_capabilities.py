"""Merge the consultations and booking branches.

Revision ID: m3rg3000001
Revises: b00k1ng00001, c0n5u170001
Create Date: 2026-11-23
"""

revision = "m3rg3000001"
down_revision = ("b00k1ng00001", "c0n5u170001")
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
