"""anonymous survey responses keep no room and no time finer than the day

An anonymous response (an anonymous survey's, or an unsigned one where residents choose) kept the room
written on a paper form and the minute it was submitted and saved: beside a door-to-door round or the
audit log either says whose it is. Their unit is removed and their times become the start of their day
in Shanghai (stored as UTC, as every time is). Signed responses are left as they are. The downgrade
cannot bring back what was removed and changes nothing.

Revision ID: 4b528841e9a9
Revises: s1gn1ns00001
Create Date: 2026-12-02 11:20:00

"""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from alembic import op

revision = "4b528841e9a9"
down_revision = "s1gn1ns00001"
branch_labels = None
depends_on = None

SHANGHAI = ZoneInfo("Asia/Shanghai")
BATCH = 1000

surveys = sa.table("surveys", sa.column("id", sa.Integer), sa.column("anonymity", sa.String))
responses = sa.table(
    "survey_responses", sa.column("id", sa.Integer), sa.column("survey_id", sa.Integer),
    sa.column("person_id", sa.Integer), sa.column("unit_id", sa.Integer),
    sa.column("submitted_at", sa.DateTime), sa.column("updated_at", sa.DateTime),
)


def _day(moment: datetime | None) -> datetime | None:
    """The start of the moment's day in Shanghai, as naive UTC (how times are stored)."""
    if moment is None:
        return None
    if isinstance(moment, str):  # SQLite hands back text where the column type is unknown to it
        moment = datetime.fromisoformat(moment)
    local = moment.replace(tzinfo=UTC).astimezone(SHANGHAI)
    return local.replace(hour=0, minute=0, second=0, microsecond=0).astimezone(UTC).replace(tzinfo=None)


def upgrade():
    bind = op.get_bind()
    anonymous = (
        sa.select(responses.c.id, responses.c.submitted_at, responses.c.updated_at)
        .join(surveys, surveys.c.id == responses.c.survey_id)
        .where(responses.c.person_id.is_(None), surveys.c.anonymity.in_(("anonymous", "choice")))
        .order_by(responses.c.id)
    )
    rows = bind.execute(anonymous).all()
    change = (
        responses.update().where(responses.c.id == sa.bindparam("rid"))
        .values(unit_id=None, submitted_at=sa.bindparam("submitted"), updated_at=sa.bindparam("updated"))
    )
    for start in range(0, len(rows), BATCH):
        bind.execute(change, [{"rid": rid, "submitted": _day(submitted), "updated": _day(updated)}
                              for rid, submitted, updated in rows[start:start + BATCH]])


def downgrade():
    pass  # the rooms and minutes removed are gone on purpose
