"""Rooms of the station and their bookings: opening hours, closed dates, neighbours, weekly series.

Opening hours and series times are wall-clock times in Asia/Shanghai (a room opens at 09:00 local
whatever the date); a booking's start and end are stored in UTC like every other timestamp.

On PostgreSQL the migration adds an exclusion constraint `ex_bookings_no_overlap` on
(room_id WITH =, tsrange(starts_at, ends_at) WITH &&) for pending and approved bookings, so two
live bookings of one room can never overlap, whatever the application does.
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.accounts.models import Community, User, enum_column
from deliberation.db import UTCDateTime, bool_false, intpk, str50, str200, timestamp, timestamp_null
from deliberation.extensions import db

LOCAL_TZ = ZoneInfo("Asia/Shanghai")
# Used while a community has not chosen its own limit (BookingSettings).
DEFAULT_MAX_FUTURE_BOOKINGS = 3


class Noise(enum.StrEnum):
    QUIET = "quiet"
    NORMAL = "normal"
    NOISY = "noisy"


class Booker(enum.StrEnum):
    """Who may book a room."""

    RESIDENTS = "residents"
    TEAMS = "teams"
    MODERATORS = "moderators"


class BookingStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CANCELLED = "cancelled"


# Only these hold the room: declined and cancelled bookings free the slot again.
ACTIVE_STATUSES = (BookingStatus.PENDING, BookingStatus.APPROVED)


def to_local(value: datetime) -> datetime:
    return value.astimezone(LOCAL_TZ)


def local_to_utc(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=LOCAL_TZ).astimezone(UTC)


class Room(db.Model):
    """A bookable space of the station (党群服务站), such as 书画室 or 舞蹈房."""

    __tablename__ = "booking_rooms"
    __table_args__ = (UniqueConstraint("community_id", "name"),
                      CheckConstraint("capacity > 0", name="capacity"))
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str50]
    description: Mapped[str200] = mapped_column(default="")
    capacity: Mapped[int]
    noise: Mapped[Noise] = enum_column(Noise, default=Noise.NORMAL)
    needs_approval: Mapped[bool_false]
    booker: Mapped[Booker] = enum_column(Booker, default=Booker.RESIDENTS)
    created_at: Mapped[timestamp]

    community: Mapped[Community] = relationship()
    hours: Mapped[list[OpeningHours]] = relationship(
        back_populates="room", order_by="(OpeningHours.weekday, OpeningHours.opens)",
        cascade="all, delete-orphan")

    def can_view(self, user: User) -> bool:
        return self.community.can_view(user)

    def can_manage(self, user: User) -> bool:
        return self.community.can_moderate(user)

    def hours_on(self, weekday: int) -> list[OpeningHours]:
        return [h for h in self.hours if h.weekday == weekday]


class OpeningHours(db.Model):
    """One opening window on a weekday (0 = Monday), local time.

    `closes` at or before `opens` means the next day: 18:00–02:00 is open past midnight, and
    closing at 00:00 means at midnight.
    """

    __tablename__ = "booking_opening_hours"
    __table_args__ = (CheckConstraint("weekday >= 0 AND weekday <= 6", name="weekday"),)
    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id", ondelete="CASCADE"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)

    room: Mapped[Room] = relationship(back_populates="hours")

    @property
    def past_midnight(self) -> bool:
        return self.closes <= self.opens


class ClosedDate(db.Model):
    """A local date on which a room is closed (a holiday, a renovation day)."""

    __tablename__ = "booking_closed_dates"
    __table_args__ = (UniqueConstraint("room_id", "day"),)
    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str200] = mapped_column(default="")


class Adjacency(db.Model):
    """Two rooms next to each other. Stored once, lower id first; read both ways round."""

    __tablename__ = "booking_adjacency"
    __table_args__ = (UniqueConstraint("room_id", "neighbour_id"),
                      CheckConstraint("room_id < neighbour_id", name="ordered"))
    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id", ondelete="CASCADE"), index=True)
    neighbour_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id", ondelete="CASCADE"), index=True)


class Team(db.Model):
    """A registered team of the community (a dance team, a calligraphy class, a partner shop)."""

    __tablename__ = "booking_teams"
    __table_args__ = (UniqueConstraint("community_id", "name"),)
    id: Mapped[intpk]
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    name: Mapped[str50]
    created_at: Mapped[timestamp]


class TeamMember(db.Model):
    __tablename__ = "booking_team_members"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)
    id: Mapped[intpk]
    team_id: Mapped[int] = mapped_column(ForeignKey("booking_teams.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)


class BookingSettings(db.Model):
    """A community's booking rules that the moderator may change."""

    __tablename__ = "booking_settings"
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"),
                                              primary_key=True)
    max_future_bookings: Mapped[int] = mapped_column(default=DEFAULT_MAX_FUTURE_BOOKINGS)


class BookingSeries(db.Model):
    """A weekly booking (every Tuesday 19:00–21:00 until June); its dates are ordinary bookings."""

    __tablename__ = "booking_series"
    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id", ondelete="CASCADE"), index=True)
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("booking_teams.id", ondelete="SET NULL"))
    title: Mapped[str200]
    attendance: Mapped[int]
    weekday: Mapped[int]
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    first_day: Mapped[date] = mapped_column(Date)
    until: Mapped[date] = mapped_column(Date)
    created_at: Mapped[timestamp]

    room: Mapped[Room] = relationship()
    booked_by: Mapped[User] = relationship()
    team: Mapped[Team | None] = relationship()
    exceptions: Mapped[list[SeriesException]] = relationship(order_by="SeriesException.day",
                                                             cascade="all, delete-orphan")

    @property
    def community_id(self) -> int:
        return self.room.community_id

    def can_view(self, user: User) -> bool:
        return self.room.can_view(user)

    def can_change(self, user: User) -> bool:
        """Its booker or the community's moderators may skip a date of the series."""
        return self.can_view(user) and (user.id == self.booked_by_id or self.room.can_manage(user))


class SeriesException(db.Model):
    """A date a series skips (a holiday, the team's performance elsewhere)."""

    __tablename__ = "booking_series_exceptions"
    __table_args__ = (UniqueConstraint("series_id", "day"),)
    id: Mapped[intpk]
    series_id: Mapped[int] = mapped_column(ForeignKey("booking_series.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)


class Booking(db.Model):
    """A room held for a time, by a resident, a team or the committee."""

    __tablename__ = "bookings"
    __table_args__ = (CheckConstraint("ends_at > starts_at", name="ends_after_start"),
                      CheckConstraint("attendance > 0", name="attendance"),
                      Index("ix_bookings_room_id_starts_at", "room_id", "starts_at"))
    id: Mapped[intpk]
    room_id: Mapped[int] = mapped_column(ForeignKey("booking_rooms.id", ondelete="CASCADE"))
    booked_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("booking_teams.id", ondelete="SET NULL"))
    series_id: Mapped[int | None] = mapped_column(ForeignKey("booking_series.id", ondelete="SET NULL"),
                                                  index=True)
    title: Mapped[str200]
    attendance: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[BookingStatus] = enum_column(BookingStatus, default=BookingStatus.PENDING)
    created_at: Mapped[timestamp]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[timestamp_null]
    decision_note: Mapped[str200] = mapped_column(default="")
    cancelled_at: Mapped[timestamp_null]

    room: Mapped[Room] = relationship()
    booked_by: Mapped[User] = relationship(foreign_keys=[booked_by_id])
    team: Mapped[Team | None] = relationship()
    series: Mapped[BookingSeries | None] = relationship()

    @property
    def community_id(self) -> int:
        return self.room.community_id

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    def can_view(self, user: User) -> bool:
        return self.room.can_view(user)

    def can_cancel(self, user: User) -> bool:
        """Its booker or the community's moderators (whether it is still live is the service's question)."""
        return self.can_view(user) and (user.id == self.booked_by_id or self.room.can_manage(user))

    def can_decide(self, user: User) -> bool:
        """Approving or declining: the community's moderators."""
        return self.room.can_manage(user)

    @property
    def local_start(self) -> datetime:
        return to_local(self.starts_at)

    @property
    def local_end(self) -> datetime:
        return to_local(self.ends_at)

    @property
    def when(self) -> str:
        """12-01 19:00–21:00 in local time, the end's date shown only when it differs."""
        start, end = self.local_start, self.local_end
        end_fmt = "%H:%M" if start.date() == end.date() else "%Y-%m-%d %H:%M"
        return f"{start:%Y-%m-%d %H:%M}–{end:{end_fmt}}"

    def summary(self) -> dict:
        """The booking as the API and conflict reports show it."""
        return {"id": self.id, "room_id": self.room_id, "room": self.room.name, "title": self.title,
                "attendance": self.attendance, "starts_at": self.local_start.isoformat(),
                "ends_at": self.local_end.isoformat(), "status": self.status.value, "series_id": self.series_id,
                "team": self.team.name if self.team else None, "when": self.when}
