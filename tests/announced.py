"""The one way tests reach a final result: close the vote, let its objection window run (by moving the stored
timestamp, never the clock), and announce it. Tests about what follows the final result (the minutes' binding
decision, final figures) use it; tests of the preliminary stage close without it."""

from __future__ import annotations

from datetime import timedelta

from deliberation.db import utcnow
from deliberation.voting.announcement import announce
from deliberation.voting.lifecycle import close_vote


def run_window(session, vote) -> None:
    """The preliminary result's objection window has run (objections_until moved into the past)."""
    vote.objections_until = utcnow() - timedelta(seconds=1)
    session.commit()


def close_and_announce(session, moderator, vote):
    """Close the vote (if still open), run its window with no objection and announce the result: final."""
    close_vote(session, moderator, vote)
    if vote.announced_at is None:
        run_window(session, vote)
        announce(session, moderator, vote)
    session.commit()
    return vote
