"""Help at the counter (帮办) in a session: a comment recorded on a resident's behalf, the resident's own revision
of it, the sessions whose open round takes one, and the notification every counter entry sends the resident.

A comment speaks for its resident (``for_person_id``); its author is the resident's login, or the helper where
the resident has none. It is shown as "由 X 代为录入（电话确认）" until the resident revises it themselves.
"""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from deliberation import audit
from deliberation.accounts.assisted import consent_of, login_of
from deliberation.accounts.models import Consent, Person, User
from deliberation.consultations.eligibility import public_clause
from deliberation.consultations.models import (
    MAX_TEXT,
    Comment,
    CommentRound,
    CommentStatus,
    Consultation,
    person_clause,
)
from deliberation.consultations.moderation import blocked_words
from deliberation.consultations.notifications import consultation_link, notify
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, NotFound, require
from deliberation.validation import clean_text


def tell_resident(session: Session, actor: User, person: Person, what: str, consent: Consent, link: str) -> bool:
    """Notify the resident (their login, if any) that the actor recorded ``what`` for them and that they may
    change it themselves. False when the resident has no login to tell."""
    login = login_of(session, person)
    if login is None:
        return False
    notify(session, [login.id], "assisted",
           _("%(actor)s 已代您录入%(what)s（%(consent)s），您可以自行修改", actor=actor.display_name, what=what,
             consent=consent.title), link)
    return True


def sessions_taking_comments(session: Session, person: Person) -> list[Consultation]:
    """The resident's sessions (public, inside their eligibility) with a comment round open now."""
    now = utcnow()
    open_round = (select(CommentRound.id).where(CommentRound.consultation_id == Consultation.id,
                                                CommentRound.opens_at <= now, CommentRound.closes_at > now)
                  .exists())
    return list(session.execute(
        select(Consultation).where(Consultation.community_id == person.community_id, public_clause(),
                                   person_clause(person.id), open_round)
        .options(selectinload(Consultation.rounds)).order_by(Consultation.id.desc())
    ).scalars())


def may_comment_for(session: Session, consultation: Consultation, person: Person) -> bool:
    """Whether the resident takes part in the session: public, and inside its eligibility."""
    return session.execute(
        select(Consultation.id).where(Consultation.id == consultation.id, public_clause(), person_clause(person.id))
    ).first() is not None


def record_comment(session: Session, actor: User, consultation: Consultation, person: Person, body: str,
                   consent: object) -> Comment:
    """A comment in the session's open round, recorded at the counter on the resident's behalf; audited with the
    consent, and the resident told. A moderator's entry is published; a floor captain's waits for moderation where
    the resident's own would (pre-moderation, a blocked word)."""
    require(person.community_id == consultation.community_id and person.can_assist(actor),
            _("只有主持人或本楼楼组长可以为该居民代为录入"))
    consent = consent_of(consent)
    body = clean_text(body, "body", _("意见内容"), max_length=MAX_TEXT)
    if not may_comment_for(session, consultation, person):
        raise Forbidden(_("该居民不在本次议事的参与范围内"))
    round_ = consultation.open_round
    if round_ is None:
        raise Conflict(_("本轮意见征集已结束或尚未开始，暂时不能发表意见"))
    login = login_of(session, person)
    status = CommentStatus.PUBLISHED
    if not consultation.can_moderate(actor) and (consultation.pre_moderation or any(
            word.casefold() in body.casefold() for word in blocked_words(session, consultation.community_id))):
        status = CommentStatus.PENDING  # a floor captain's entry is moderated as the resident's own would be
    comment = Comment(consultation=consultation, round=round_, author_id=(login or actor).id, body=body,
                      status=status, for_person_id=person.id, recorded_by_id=actor.id, consent=consent)
    session.add(comment)
    session.flush()
    audit.record(session, actor, "comment.assisted", comment, community_id=consultation.community_id,
                 consultation_id=consultation.id, person_id=person.id, consent=consent.value,
                 round=round_.number, status=status.value)
    tell_resident(session, actor, person, _("对“%(title)s”的意见", title=consultation.title), consent,
                  consultation_link(consultation.id, f"comment-{comment.id}"))
    return comment


def revise_comment(session: Session, actor: User, comment: Comment, body: str) -> Comment:
    """The resident changes the words recorded for them: the comment becomes their own (author, no marker)."""
    require(comment.can_revise(actor), _("只有该居民本人可以修改代为录入的意见，且须在本轮意见征集结束前"))
    body = clean_text(body, "body", _("意见内容"), max_length=MAX_TEXT)
    recorded_by_id = comment.recorded_by_id
    comment.body, comment.author_id = body, actor.id
    comment.recorded_by_id, comment.consent = None, None
    session.flush()
    audit.record(session, actor, "comment.revise_assisted", comment, community_id=comment.consultation.community_id,
                 consultation_id=comment.consultation_id, recorded_by_id=recorded_by_id)
    return comment


def comment_of(session: Session, consultation: Consultation, comment_id: int) -> Comment:
    """A comment of this session; any other id does not exist (404)."""
    comment = session.get(Comment, comment_id)
    if comment is None or comment.consultation_id != consultation.id:
        raise NotFound(_("找不到该意见"))
    return comment
