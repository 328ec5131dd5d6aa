"""API of the booking capability: rooms, availability, bookings, weekly series, approval.

Every time a booking answer carries is written with the community's offset (+08:00, Asia/Shanghai), whatever
offset the request used; a booking awaiting approval says so (status "pending", status_text 待审批).

A refused booking answers 409 with the booking in the way:
{"error": {"code": "conflict", "message": ..., "fields": {...}, "conflict": {booking}}}; a refused
series lists every date that cannot be booked under "conflicts".
"""

from __future__ import annotations

from flask import g
from marshmallow import Schema, fields, validate

from deliberation.accounts.access import community_or_404
from deliberation.api.arguments import Blueprint
from deliberation.api.auth import token_required
from deliberation.booking import bookings as single_bookings
from deliberation.booking import rooms, schedule
from deliberation.booking import series as weekly_series
from deliberation.booking.access import booking_or_404, room_or_404, series_or_404, team_or_404
from deliberation.booking.blueprint import STATUS
from deliberation.booking.models import to_local
from deliberation.db import commit_as_written, reads_first
from deliberation.errors import Invalid
from deliberation.extensions import db
from deliberation.limits import booking_limit

bp = Blueprint("api_booking", __name__, description="场地预约：场地、空闲时段、预约、每周系列与审批")

# The booking form's field names, as the services name them, and the body's fields they come from.
BODY_FIELDS = {"date": "starts_at", "start": "starts_at", "end": "ends_at"}

CONFLICT_DOC = {"description": "与现有预约冲突；error.conflict 为冲突的预约（系列为 error.conflicts）"}


class HoursOut(Schema):
    weekday = fields.Integer(metadata={"description": "0 = Monday"})
    opens = fields.Time(format="%H:%M")
    closes = fields.Time(format="%H:%M", metadata={"description": "at or before opens: the next day"})


class RoomOut(Schema):
    id = fields.Integer()
    community_id = fields.Integer()
    name = fields.String()
    description = fields.String()
    capacity = fields.Integer()
    noise = fields.String(metadata={"enum": ["quiet", "normal", "noisy"]})
    needs_approval = fields.Boolean()
    booker = fields.String(metadata={"enum": ["residents", "teams", "moderators"]})
    hours = fields.List(fields.Nested(HoursOut), metadata={"description": "local time, Asia/Shanghai"})


class LocalDateTime(fields.AwareDateTime):
    """A stored UTC time written in Asia/Shanghai, with its offset: 2030-01-07T10:00:00+08:00."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(to_local(value) if value is not None else None, attr, obj, **kwargs)


class BookingOut(Schema):
    id = fields.Integer()
    room_id = fields.Integer()
    room = fields.String(attribute="room.name")
    title = fields.String()
    attendance = fields.Integer()
    starts_at = LocalDateTime(metadata={"description": "local time with its offset, +08:00"})
    ends_at = LocalDateTime()
    status = fields.String(metadata={"enum": ["pending", "approved", "declined", "cancelled"],
                                     "description": "pending: a request awaiting approval, not yet the room's"})
    status_text = fields.Function(lambda booking: str(STATUS[booking.status.value]),
                                  metadata={"description": "the status in words (待审批 / 已确认 / …)"})
    series_id = fields.Integer(allow_none=True)
    team = fields.String(attribute="team.name", allow_none=True)
    booked_by_id = fields.Integer()


class WindowOut(Schema):
    starts_at = LocalDateTime()
    ends_at = LocalDateTime()


class DayOut(Schema):
    date = fields.Date()
    closed = fields.Boolean()
    closed_reason = fields.String()
    open = fields.List(fields.Nested(WindowOut))
    bookings = fields.List(fields.Nested(BookingOut))


class AvailabilityIn(Schema):
    from_ = fields.Date(required=True, data_key="from", metadata={"description": "first local date"})
    to = fields.Date(required=True, metadata={"description": "last local date (inclusive), at most 62 days"})


class AvailabilityOut(Schema):
    room = fields.Nested(RoomOut)
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    days = fields.List(fields.Nested(DayOut))


class BookingIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    attendance = fields.Integer(required=True, validate=validate.Range(min=1))
    starts_at = fields.AwareDateTime(required=True, metadata={"description": "with a UTC offset"})
    ends_at = fields.AwareDateTime(required=True)
    team_id = fields.Integer(load_default=None, allow_none=True)


class SeriesIn(Schema):
    title = fields.String(required=True, validate=validate.Length(min=1, max=200))
    attendance = fields.Integer(required=True, validate=validate.Range(min=1))
    weekday = fields.Integer(required=True, validate=validate.Range(min=0, max=6),
                             metadata={"description": "0 = Monday"})
    start_time = fields.Time(required=True, metadata={"description": "local time"})
    end_time = fields.Time(required=True,
                           metadata={"description": "local time; before start: next day"})
    first_day = fields.Date(required=True)
    until = fields.Date(required=True)
    exceptions = fields.List(fields.Date(), load_default=list)
    book_free_dates = fields.Boolean(load_default=False,
                                     metadata={"description": "book the other dates when some conflict"})
    team_id = fields.Integer(load_default=None, allow_none=True)


class SeriesOut(Schema):
    id = fields.Integer(attribute="series.id")
    bookings = fields.List(fields.Nested(BookingOut))
    not_booked = fields.Method("_not_booked")

    def _not_booked(self, result):
        return [c.summary() for c in result.conflicts]


class DecisionIn(Schema):
    note = fields.String(load_default="", validate=validate.Length(max=200))


class ExceptionIn(Schema):
    date = fields.Date(required=True)


@bp.route("/communities/<int:community_id>/rooms")
@token_required
@bp.response(200, RoomOut(many=True))
def list_rooms(community_id: int):
    """The rooms of a community the user belongs to."""
    return rooms.rooms_of(db.session, community_or_404(community_id, g.api_user))


@bp.route("/rooms/<int:room_id>/availability")
@token_required
@bp.arguments(AvailabilityIn, location="query")
@bp.response(200, AvailabilityOut)
def room_availability(args, room_id: int):
    """A room's opening windows and live bookings for each local date of a range."""
    room = room_or_404(room_id, g.api_user)
    return schedule.availability(db.session, room, args["from_"], args["to"])


@bp.route("/rooms/<int:room_id>/bookings", methods=["POST"])
@reads_first  # SQLite's write lock only for the booking's writes (its checks read first)
@booking_limit
@token_required
@bp.arguments(BookingIn)
@bp.response(201, BookingOut)
@bp.alt_response(409, description=CONFLICT_DOC["description"])
def create_booking(data, room_id: int):
    """Book a slot; pending when the room needs approval. 409 names the booking in the way."""
    room = room_or_404(room_id, g.api_user)
    try:
        booking = single_bookings.create_booking(db.session, g.api_user, room, title=data["title"],
                                                 attendance=data["attendance"], starts_at=data["starts_at"],
                                                 ends_at=data["ends_at"], team=team_or_404(data["team_id"], room))
    except Invalid as error:  # the service names the form's fields (date, start, end); this body's are others
        error.fields = {BODY_FIELDS.get(name, name): message for name, message in error.fields.items()}
        raise
    commit_as_written(db.session)
    return booking


@bp.route("/rooms/<int:room_id>/series", methods=["POST"])
@reads_first  # SQLite's write lock only for the booking's writes (its checks read first)
@booking_limit
@token_required
@bp.arguments(SeriesIn)
@bp.response(201, SeriesOut)
@bp.alt_response(409, description=CONFLICT_DOC["description"])
def create_series(data, room_id: int):
    """Book a room every week; conflicting dates are listed, and nothing is booked unless book_free_dates."""
    room = room_or_404(room_id, g.api_user)
    result = weekly_series.create_series(
        db.session, g.api_user, room, title=data["title"], attendance=data["attendance"],
        weekday=data["weekday"], start_time=data["start_time"].replace(tzinfo=None),
        end_time=data["end_time"].replace(tzinfo=None), first_day=data["first_day"], until=data["until"],
        exceptions=data["exceptions"], book_free_dates=data["book_free_dates"],
        team=team_or_404(data["team_id"], room))
    db.session.commit()
    return result


@bp.route("/series/<int:series_id>/exceptions", methods=["POST"])
@token_required
@bp.arguments(ExceptionIn)
@bp.response(204)
def add_series_exception(data, series_id: int):
    """Skip one date of a weekly series; that date's booking is cancelled."""
    series = series_or_404(series_id, g.api_user)
    weekly_series.add_series_exception(db.session, g.api_user, series, data["date"])
    db.session.commit()


@bp.route("/bookings/<int:booking_id>")
@token_required
@bp.response(200, BookingOut)
def get_booking(booking_id: int):
    """One booking of a community the user belongs to."""
    return booking_or_404(booking_id, g.api_user)


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@token_required
@bp.response(200, BookingOut)
def cancel_booking(booking_id: int):
    """Cancel a live booking (its booker, or a moderator)."""
    booking = single_bookings.cancel_booking(db.session, g.api_user, booking_or_404(booking_id, g.api_user))
    db.session.commit()
    return booking


@bp.route("/bookings/<int:booking_id>/approve", methods=["POST"])
@token_required
@bp.arguments(DecisionIn)
@bp.response(200, BookingOut)
def approve_booking(data, booking_id: int):
    """Approve a pending booking (the community's moderator)."""
    booking = single_bookings.approve_booking(db.session, g.api_user, booking_or_404(booking_id, g.api_user),
                                              data["note"])
    db.session.commit()
    return booking


@bp.route("/bookings/<int:booking_id>/decline", methods=["POST"])
@token_required
@bp.arguments(DecisionIn)
@bp.response(200, BookingOut)
def decline_booking(data, booking_id: int):
    """Decline a pending booking (the community's moderator)."""
    booking = single_bookings.decline_booking(db.session, g.api_user, booking_or_404(booking_id, g.api_user),
                                              data["note"])
    db.session.commit()
    return booking

