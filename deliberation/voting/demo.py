"""The demo vote: the owners' civil-code vote on plan one of the demo consultation, with all residents
asked for their advice beside it. It is left as a draft, so the secretary opens it (freezing the
electorate) when showing the platform; nothing heavy happens while the demo loads. Its roll (表决权人名册) was
posted a week before, as the law asks of an owners' vote (voting.roll), and its period has run: it can be opened.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation.accounts.models import User
from deliberation.consultations.models import Consultation, Proposal
from deliberation.db import utcnow
from deliberation.voting.lifecycle import VoteInput, create_vote
from deliberation.voting.models import Vote
from deliberation.voting.roll import DEFAULT_DAYS, post_roll

TITLE = "是否同意“方案一：原址内部改造”（业主表决）"


def load_demo_votes(session: Session, consultation: Consultation, secretary: User) -> list[Vote]:
    """Add the demo vote to the demo consultation (a draft: the secretary opens it)."""
    proposal = session.execute(
        select(Proposal).where(Proposal.consultation_id == consultation.id).order_by(Proposal.id)
    ).scalars().first()
    if proposal is None:
        return []
    vote = create_vote(session, secretary, consultation, VoteInput(
        title=TITLE, kind="proposal", proposal_id=proposal.id, rule_name="civil_code_ordinary",
        basis="owner", secret=True, advisory_all=True, show_running=False,
        closes_at=utcnow() + timedelta(days=14)))
    post_roll(session, secretary, vote, DEFAULT_DAYS)
    vote.roll_posted_at = utcnow() - timedelta(days=DEFAULT_DAYS + 1)  # posted a week before the demo's day
    vote.roll_until = vote.roll_posted_at + timedelta(days=DEFAULT_DAYS)
    return [vote]
