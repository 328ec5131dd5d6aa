"""demographic codes in ballots, voters and electorate groups

The frozen electorate and the ballots stored age bands, tenure and the unknown building as Chinese
labels ("35岁以下", "业主", "未登记"); they now store the codes of accounts.demographics ("<35" for the
old under-35 band, which cannot be split into under 18 and 18–34 without the birth year; "owner";
"" for unknown), and pages turn the codes into words. The downgrade writes the labels back (the
under-18 and 18–34 bands both become "35岁以下") and counts the electorate groups again.

Revision ID: da5b6a82c299
Revises: m3rg3000002
Create Date: 2026-12-02 07:57:26.620230

"""
import sqlalchemy as sa
from alembic import op

revision = "da5b6a82c299"
down_revision = "m3rg3000002"
branch_labels = None
depends_on = None

TABLES = ("vote_voters", "ballots", "vote_electorate_groups")
AGE_BANDS = {"35岁以下": "<35", "35–59岁": "35-59", "60岁及以上": "60+", "未登记": ""}
TENURES = {"业主": "owner", "租户": "tenant", "家属": "family", "未登记": ""}
BUILDINGS = {"未登记": ""}
NEW_BANDS = {"<18": "35岁以下", "18-34": "35岁以下"}

FILL_GROUPS = """
INSERT INTO vote_electorate_groups (vote_id, advisory, building, age_band, tenure, voters, area_cents)
SELECT vote_id, advisory, building, age_band, tenure, count(*), coalesce(sum(area_cents), 0)
FROM vote_voters GROUP BY vote_id, advisory, building, age_band, tenure
"""


def _convert(table: str, column: str, mapping: dict[str, str]) -> None:
    rows = sa.table(table, sa.column(column, sa.String))
    for old, new in mapping.items():
        op.execute(rows.update().where(rows.c[column] == old).values({column: new}))


def upgrade():
    for table in TABLES:
        _convert(table, "age_band", AGE_BANDS)
        _convert(table, "tenure", TENURES)
        _convert(table, "building", BUILDINGS)


def downgrade():
    # Two new bands become one old label: the groups are counted again from the voters.
    for table in ("vote_voters", "ballots"):
        _convert(table, "age_band", NEW_BANDS)
        _convert(table, "age_band", {code: label for label, code in AGE_BANDS.items()})
        _convert(table, "tenure", {code: label for label, code in TENURES.items()})
        _convert(table, "building", {code: label for label, code in BUILDINGS.items()})
    op.execute("DELETE FROM vote_electorate_groups")
    op.execute(FILL_GROUPS)
