"""API: the front door (待我参与) for apps: what waits for the user as a resident, and what needs them as a
moderator — the same lists as the home page (deliberation.home.frontdoor), with deadlines as stored times and
the days left counted in Shanghai."""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields

from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.db import utcnow
from deliberation.extensions import db
from deliberation.home import frontdoor
from deliberation.home.deadlines import days_left, days_waited

bp = Blueprint("api_home", __name__, description="待我参与：等我投票、填写、发表意见的事，主持人的待办")


class DueOut(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    closes_at = fields.AwareDateTime(allow_none=True)
    days_left = fields.Integer(allow_none=True, metadata={"description": "0: closes today (Asia/Shanghai)"})


class WishOut(Schema):
    id = fields.Integer()
    title = fields.String()
    status = fields.String(metadata={"description": "open | answered | merged | promoted"})
    state = fields.String(metadata={"description": "received | in_progress | answered | promoted | merged"})


class MyBookingOut(Schema):
    id = fields.Integer()
    title = fields.String()
    room = fields.String()
    starts_at = fields.AwareDateTime()
    ends_at = fields.AwareDateTime()
    status = fields.String(metadata={"description": "pending | approved | declined | cancelled"})


class ResidentOut(Schema):
    community_id = fields.Integer(allow_none=True)
    votes = fields.List(fields.Nested(DueOut))
    surveys = fields.List(fields.Nested(DueOut))
    sessions = fields.List(fields.Nested(DueOut), metadata={"description": "closes_at: the open round's end"})
    wishes = fields.List(fields.Nested(WishOut))
    bookings = fields.List(fields.Nested(MyBookingOut))
    unread_notices = fields.Integer()


class WaitingOut(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    days_waited = fields.Integer()


class VoteCountOut(Schema):
    vote_id = fields.Integer()
    community_id = fields.Integer()
    title = fields.String()
    count = fields.Integer()


class DutiesOut(Schema):
    community_id = fields.Integer()
    reports = fields.Integer(metadata={"description": "comments in the moderation queue"})
    questions = fields.Integer(metadata={"description": "residents' comments without an official answer"})
    ideas = fields.Integer(metadata={"description": "wishes without a reply"})
    bookings = fields.Integer(metadata={"description": "bookings waiting for approval"})


class ModeratorOut(Schema):
    communities = fields.List(fields.Nested(DutiesOut))
    questions = fields.List(fields.Nested(WaitingOut))
    ideas = fields.List(fields.Nested(WaitingOut))
    paper_conflicts = fields.List(fields.Nested(VoteCountOut))
    objections = fields.List(fields.Nested(VoteCountOut))
    votes_closing = fields.List(fields.Nested(DueOut))
    surveys_closing = fields.List(fields.Nested(DueOut))


class FrontDoorOut(Schema):
    resident = fields.Nested(ResidentOut)
    moderator = fields.Nested(ModeratorOut, allow_none=True)


def _due(item_id, community_id, title, closes_at, now) -> dict:
    return {"id": item_id, "community_id": community_id, "title": title, "closes_at": closes_at,
            "days_left": days_left(closes_at, now) if closes_at else None}


@bp.route("/me/waiting")
@token_required
@bp.response(200, FrontDoorOut)
def waiting():
    """What waits for the user (as on the home page); ``moderator`` is null for those who moderate nothing."""
    now = utcnow()
    user = g.api_user
    communities = frontdoor.communities_of(db.session, user)
    frontdoor.bring_up_to_date(db.session, user, communities, now)
    door = frontdoor.resident_door(db.session, user, communities, now)
    desk = frontdoor.moderator_desk(db.session, user, communities, now)
    resident = {
        "community_id": door.community.id if door.community else None,
        "votes": [_due(v.id, v.community_id, v.title, v.closes_at, now) for v in door.votes],
        "surveys": [_due(s.id, s.community_id, s.title, s.closes_at, now) for s in door.surveys],
        "sessions": [_due(s.id, s.community_id, s.title, s.round_closes_at, now) for s in door.sessions],
        "wishes": [{"id": i.id, "title": i.title, "status": i.status.value, "state": i.question_state.value}
                   for i in door.ideas],
        "bookings": [{"id": b.id, "title": b.title, "room": b.room.name, "starts_at": b.starts_at, "ends_at": b.ends_at,
                      "status": b.status.value} for b in door.bookings],
        "unread_notices": door.unread,
    }
    moderator = None
    if desk.moderates:
        moderator = {
            "communities": [{"community_id": d.community.id, "reports": d.reports, "questions": d.questions,
                             "ideas": d.ideas, "bookings": d.bookings} for d in desk.communities],
            "questions": [{"id": q.id, "community_id": q.community_id, "title": q.consultation_title,
                           "days_waited": days_waited(q.created_at, now)} for q in desk.questions],
            "ideas": [{"id": i.id, "community_id": i.community_id, "title": i.title,
                       "days_waited": days_waited(i.created_at, now)} for i in desk.ideas],
            "paper_conflicts": desk.conflicts,
            "objections": desk.objections,
            "votes_closing": [_due(v.id, v.community_id, v.title, v.closes_at, now) for v in desk.closing_votes],
            "surveys_closing": [_due(s.id, s.community_id, s.title, s.closes_at, now)
                                for s in desk.closing_surveys],
        }
    return {"resident": resident, "moderator": moderator}
