"""Loading rooms and bookings for a user: 404 for what belongs to another community."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from deliberation.accounts.models import Community, User
from deliberation.booking.models import Booking, BookingSeries, Room, Team
from deliberation.errors import NotFound, require
from deliberation.extensions import db


def room_or_404(room_id: int, user: User) -> Room:
    """The room if the user belongs to its community; 404 otherwise, never its data."""
    # The community decides who may see the room, the hours what may be booked: loaded with it.
    room = db.session.get(Room, room_id, options=[joinedload(Room.community), selectinload(Room.hours)])
    if room is None or not room.can_view(user):
        raise NotFound(_("找不到该场地"))
    return room


def room_to_manage_or_404(room_id: int, user: User) -> Room:
    """The room for its community's moderators; 404 for other communities, 403 for residents."""
    room = room_or_404(room_id, user)
    require(room.can_manage(user), _("只有本居民区的主持人可以管理场地"))
    return room


def team_to_manage_or_404(team_id: int, user: User) -> Team:
    """A team for its community's moderators; 404 for other communities, 403 for residents."""
    team = db.session.get(Team, team_id)
    community = db.session.get(Community, team.community_id) if team is not None else None
    if community is None:
        raise NotFound(_("找不到该团队"))
    require(community.can_view(user), _("找不到该团队"), hidden=True)
    require(community.can_moderate(user), _("只有本居民区的主持人可以管理团队"))
    return team


def booking_or_404(booking_id: int, user: User) -> Booking:
    """The booking if the user belongs to its room's community; 404 otherwise."""
    booking = db.session.get(Booking, booking_id)
    if booking is None or not booking.can_view(user):
        raise NotFound(_("找不到该预约"))
    return booking


def series_or_404(series_id: int, user: User) -> BookingSeries:
    """The weekly series if the user belongs to its room's community; 404 otherwise."""
    series = db.session.get(BookingSeries, series_id)
    if series is None or not series.can_view(user):
        raise NotFound(_("找不到该系列预约"))
    return series


def team_or_404(team_id: int | None, room: Room) -> Team | None:
    """The team chosen for a booking of this room, if any; only teams of the room's community."""
    if not team_id:
        return None
    team = db.session.get(Team, team_id)
    if team is None or team.community_id != room.community_id:
        raise NotFound(_("找不到该团队"))
    return team
