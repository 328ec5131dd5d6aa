"""Loading sessions and their parts for a user: 404 for whatever the user may not see. Read-only: never commits."""

from __future__ import annotations

import functools
from typing import NamedTuple

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, Integer, Select, bindparam, select
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from deliberation.accounts.models import User
from deliberation.consultations.models import (
    Comment,
    CommentRound,
    CommentStatus,
    CommentSupport,
    Consultation,
    Idea,
    JointMeeting,
    Proposal,
    ProposalPicture,
    person_clause,
)
from deliberation.errors import NotFound, require
from deliberation.extensions import db
from deliberation.surveys.models import Survey
from deliberation.voting.models import Vote


@functools.cache
def _consultation_statement(*also: ColumnElement) -> Select:
    """The session with its community and its comment rounds, and whether the user's person may take part in it
    (person_clause), and the columns `also`, in one statement built once: every page of a session loads it first."""
    eligible = person_clause(bindparam("person_id", type_=Integer)).label("eligible")
    return (select(Consultation, eligible, *also).where(Consultation.id == bindparam("id"))
            .options(joinedload(Consultation.community), joinedload(Consultation.rounds)))


def consultation_or_404(consultation_id: int, user: User, *, moderate: bool = False) -> Consultation:
    """The session if the user may see it (drafts: moderators only; other communities: never)."""
    return consultation_with_or_404(consultation_id, user, moderate=moderate)[0]


def consultation_with_or_404(consultation_id: int, user: User, *also: ColumnElement,
                             moderate: bool = False) -> tuple[Consultation, tuple]:
    """consultation_or_404, with the values of the columns `also` (expressions over the session's row, the same
    objects at every call: the statement is built once for them; the user's id is bound as user_id) read by the
    same statement."""
    if not user.is_authenticated:
        raise NotFound(_("找不到该议事"))
    found = db.session.execute(_consultation_statement(*also),
                               {"id": consultation_id, "person_id": user.person_id, "user_id": user.id}).unique().first()
    if found is None:
        raise NotFound(_("找不到该议事"))
    consultation, eligible, *values = found
    # Lazy messages: every page of a session passes here, and a message is translated only when it refuses.
    require(consultation.can_view(user, eligible=eligible), _l("找不到该议事"), hidden=True)
    require(not moderate or consultation.can_moderate(user), _l("只有本居民区的主持人可以进行此操作"))
    return consultation, tuple(values)


class PageParts(NamedTuple):
    """What the session page needs to ask for besides the session: which parts the session has any of (a session in
    its commenting phase has no votes yet, often no meetings nor surveys), and whether the viewer has comments
    waiting for review in it or supports any of its comments (viewer_marks; most viewers have neither). What is
    False is not asked for."""

    proposals: bool = True
    meetings: bool = True
    votes: bool = True
    surveys: bool = True
    viewer_marks: bool = True


EVERY_PART = PageParts()  # when not read with the session (a form that failed): everything is asked for


@functools.cache
def _page_columns() -> tuple[ColumnElement, ...]:
    """PageParts' facts as columns over the session's row (the same objects at every call: the statement is built
    once). The viewer's are the sessions of their pending comments and of the comments they support, not a search
    among the session's comments (which SQLite chose for a correlated EXISTS: every comment of a large session)."""
    present = tuple(select(model.id).where(model.consultation_id == Consultation.id).exists().label(f"has_{name}")
                    for name, model in (("proposals", Proposal), ("meetings", JointMeeting), ("votes", Vote),
                                        ("surveys", Survey)))
    viewer = bindparam("user_id", type_=Integer)
    pending = Consultation.id.in_(select(Comment.consultation_id).where(
        Comment.author_id == viewer, Comment.status == CommentStatus.PENDING)).label("viewer_pending")
    supports = Consultation.id.in_(select(Comment.consultation_id).join(
        CommentSupport, CommentSupport.comment_id == Comment.id).where(CommentSupport.user_id == viewer)).label(
        "viewer_supports")
    return *present, pending, supports


def session_page_or_404(consultation_id: int, user: User) -> tuple[Consultation, PageParts]:
    """consultation_or_404 with the session page's PageParts, read by the same statement."""
    consultation, (proposals, meetings, votes, surveys, pending, supports) = consultation_with_or_404(
        consultation_id, user, *_page_columns())
    return consultation, PageParts(bool(proposals), bool(meetings), bool(votes), bool(surveys),
                                   viewer_marks=bool(pending or supports))


@functools.cache
def _meetings_statement() -> Select:
    return select(JointMeeting).where(JointMeeting.consultation_id == bindparam("id")).order_by(JointMeeting.held_at)


def with_meetings(consultation: Consultation, *, any_held: bool = True) -> Consultation:
    """The session's joint meetings loaded into it, as its relationship orders them, by a statement built once: the
    session page shows them, and a lazy load costs twice as much (its rounds come with consultation_or_404).
    any_held=False: the caller knows it has none (read with the session), and nothing is asked."""
    if "meetings" not in consultation.__dict__:  # not loaded yet
        set_committed_value(consultation, "meetings", db.session.execute(
            _meetings_statement(), {"id": consultation.id}).scalars().all() if any_held else [])
    return consultation


def proposal_or_404(proposal_id: int, user: User, *, moderate: bool = False) -> Proposal:
    """The proposal if the user may see its session."""
    proposal = db.session.get(Proposal, proposal_id)
    if proposal is None:
        raise NotFound(_("找不到该方案"))
    consultation_or_404(proposal.consultation_id, user, moderate=moderate)
    return proposal


def round_or_404(round_id: int, user: User, *, moderate: bool = False) -> CommentRound:
    """The comment round if the user may see its session."""
    round_ = db.session.get(CommentRound, round_id)
    if round_ is None:
        raise NotFound(_("找不到该轮次"))
    consultation_or_404(round_.consultation_id, user, moderate=moderate)
    return round_


def comment_or_404(comment_id: int, user: User, *, moderate: bool = False) -> Comment:
    """The comment if the user may see its session; someone else's pending comment is a 404."""
    comment = db.session.get(Comment, comment_id)
    if comment is None:
        raise NotFound(_("找不到该意见"))
    consultation_or_404(comment.consultation_id, user, moderate=moderate)
    if not comment.body_visible_to(user) and comment.status != "hidden":
        raise NotFound(_("找不到该意见"))  # someone else's pending comment does not exist yet
    return comment


def picture_or_404(picture_id: int, user: User) -> ProposalPicture:
    """The picture's record if the user may see its session."""
    picture = db.session.get(ProposalPicture, picture_id)
    if picture is None:
        raise NotFound(_("找不到该图片"))
    consultation_or_404(picture.version.proposal.consultation_id, user)
    return picture


def idea_or_404(idea_id: int, user: User, *, moderate: bool = False) -> Idea:
    """The idea if the user belongs to its community."""
    idea = db.session.get(Idea, idea_id)
    if idea is None or not user.is_authenticated:
        raise NotFound(_("找不到该心愿"))
    require(idea.community.can_view(user), _("找不到该心愿"), hidden=True)
    require(not moderate or idea.community.can_moderate(user), _("只有本居民区的主持人可以进行此操作"))
    return idea


def meeting_or_404(meeting_id: int, user: User, *, moderate: bool = False) -> JointMeeting:
    """The joint meeting if the user may see its session."""
    meeting = db.session.get(JointMeeting, meeting_id)
    if meeting is None:
        raise NotFound(_("找不到该会议"))
    consultation_or_404(meeting.consultation_id, user, moderate=moderate)
    return meeting
