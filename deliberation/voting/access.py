"""Loading votes for a user: 404 for what the user may not see (other communities, drafts); read-only."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from deliberation.accounts.models import User
from deliberation.consultations.access import consultation_or_404
from deliberation.consultations.models import Consultation, Phase
from deliberation.errors import NotFound, require
from deliberation.extensions import db
from deliberation.voting.electorate import voter_for
from deliberation.voting.models import Vote, VoteState, VoteVoter


def vote_or_404(vote_id: int, user: User, *, moderate: bool = False) -> Vote:
    """The vote if the user may see its consultation; drafts only for moderators, or once their roll is posted."""
    vote = db.session.get(Vote, vote_id, options=[selectinload(Vote.options)])
    if vote is None or not user.is_authenticated:
        raise NotFound(_("找不到该表决"))
    if not vote.community_id or not (vote.consultation.community.can_view(user)):
        raise NotFound(_("找不到该表决"))
    try:
        consultation_or_404(vote.consultation_id, user)
    except NotFound:
        raise NotFound(_("找不到该表决")) from None
    can_moderate = vote.can_moderate(user)
    if not can_moderate and vote.state == VoteState.DRAFT and not vote.can_see_roll(user):
        raise NotFound(_("找不到该表决"))  # a draft is the moderators' until its roll is posted (voting.roll)
    require(can_moderate or not moderate, _("只有本居民区的主持人可以进行此操作"))
    return vote


def ballot_vote_or_404(vote_id: int, user: User) -> tuple[Vote, VoteVoter | None]:
    """The vote a ballot is cast in, and the user's row of its frozen electorate (None: not in it).

    The same answers as vote_or_404 (404 for what the user may not see), in as few statements as
    the rules allow: the vote with its session and community in one query, then the electorate
    row. A voter of the frozen electorate sees the vote of a public session whatever its
    eligibility says now (the electorate decides); only someone outside it is checked against the
    session's eligibility, to tell 404 (not theirs to see) from 403 (not theirs to vote in).
    """
    vote = db.session.execute(
        select(Vote).where(Vote.id == vote_id)
        .options(joinedload(Vote.consultation, innerjoin=True).joinedload(Consultation.community, innerjoin=True))
    ).scalar()
    if vote is None or not user.is_authenticated or not vote.consultation.community.can_view(user):
        raise NotFound(_("找不到该表决"))
    consultation = vote.consultation
    if consultation.can_moderate(user):
        return vote, voter_for(db.session, vote, user)
    if vote.state == VoteState.DRAFT or consultation.effective_phase == Phase.DRAFT:
        raise NotFound(_("找不到该表决"))
    voter = voter_for(db.session, vote, user)
    if voter is None and not consultation.can_view(user):
        raise NotFound(_("找不到该表决"))
    return vote, voter


def paper_vote_or_404(vote_id: int, user: User) -> Vote:
    """For entering paper forms: moderators, and floor captains of the vote's community."""
    vote = db.session.get(Vote, vote_id, options=[selectinload(Vote.options)])
    if vote is None or not user.is_authenticated or not vote.consultation.community.can_view(user):
        raise NotFound(_("找不到该表决"))
    require(vote.can_enter_paper(user), _("只有主持人或楼组长可以录入征询单"))
    if vote.state == VoteState.DRAFT and not vote.can_moderate(user):
        raise NotFound(_("找不到该表决"))
    return vote

