"""A vote whose closing time has passed is closed by the scheduler's minute (jobs.periodic), with nobody
reading a page."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from deliberation.db import utcnow
from deliberation.jobs import periodic
from deliberation.voting.models import Vote


def test_the_scheduler_closes_a_vote_whose_time_has_come(app, session, make_vote, residents):
    vote = make_vote(closes_at=utcnow() + timedelta(hours=1))
    session.execute(update(Vote).where(Vote.id == vote.id).values(closes_at=utcnow() - timedelta(minutes=1)))
    session.commit()
    assert session.get(Vote, vote.id).closed_at is None
    done = periodic.tick(app, session, utcnow())
    assert done["votes.schedule"] == 1
    session.expire_all()
    assert session.get(Vote, vote.id).closed_at is not None
    assert periodic.tick(app, session, utcnow())["votes.schedule"] == 0
