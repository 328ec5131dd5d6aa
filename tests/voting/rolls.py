"""The posted roll in tests: an owners' Civil Code vote opens only after its roll was posted and its period ran
(voting.roll). Tests that are about something else post it through the service and move its period into the past
by the stored timestamps, as the clock would; the rule itself stays as strict as it is."""

from __future__ import annotations

from datetime import timedelta

from deliberation.db import utcnow
from deliberation.voting import roll


def post_roll_and_let_it_run(session, moderator, vote, days: int = roll.DEFAULT_DAYS):
    """Post the vote's roll for ``days`` days and let the period run out (it ended a minute ago)."""
    roll.post_roll(session, moderator, vote, days)
    vote.roll_posted_at = utcnow() - timedelta(days=days, minutes=1)
    vote.roll_until = utcnow() - timedelta(minutes=1)
    session.flush()
    return vote


def ready_to_open(session, moderator, vote):
    """Whatever the vote needs before it opens: its roll posted and run, where it needs one."""
    if roll.needs_roll(vote) and vote.roll_posted_at is None:
        post_roll_and_let_it_run(session, moderator, vote)
    return vote
