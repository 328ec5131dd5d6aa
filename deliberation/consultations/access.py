"""Loading sessions and their parts for a user: 404 for whatever the user may not see."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from deliberation.accounts.models import User
from deliberation.consultations.models import Comment, Consultation, Idea, Proposal, ProposalPicture
from deliberation.errors import Forbidden, NotFound
from deliberation.extensions import db


def consultation_or_404(consultation_id: int, user: User, *, moderate: bool = False) -> Consultation:
    """The session if the user may see it (drafts: moderators only; other communities: never)."""
    consultation = db.session.get(Consultation, consultation_id, options=[joinedload(Consultation.community)])
    if consultation is None or not user.is_authenticated or not consultation.can_view(user):
        raise NotFound(_("找不到该议事"))
    if moderate and not consultation.can_moderate(user):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))
    return consultation


def proposal_or_404(proposal_id: int, user: User, *, moderate: bool = False) -> Proposal:
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("找不到该方案"))
    consultation_or_404(proposal.consultation_id, user, moderate=moderate)
    return proposal


def comment_or_404(comment_id: int, user: User, *, moderate: bool = False) -> Comment:
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("找不到该意见"))
    consultation_or_404(comment.consultation_id, user, moderate=moderate)
    if not comment.body_visible_to(user) and comment.status != "hidden":
        raise NotFound(_("找不到该意见"))  # someone else's pending comment does not exist yet
    return comment


def picture_or_404(picture_id: int, user: User) -> ProposalPicture:
    picture = db.session.get(ProposalPicture, picture_id)
    if picture is None:
        raise NotFound(_("找不到该图片"))
    consultation_or_404(picture.version.proposal.consultation_id, user)
    return picture


def idea_or_404(idea_id: int, user: User, *, moderate: bool = False) -> Idea:
    idea = db.session.get(Idea, idea_id)
    if idea is None or not user.is_authenticated or not idea.community.can_view(user):
        raise NotFound(_("找不到该心愿"))
    if moderate and not idea.community.can_moderate(user):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))
    return idea
