"""Objects for the booking tests: a station with rooms, a moderator, residents, dates in the future."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from deliberation.booking.bookings import create_booking
from deliberation.booking.models import Booker, Noise
from deliberation.booking.rooms import create_room
from deliberation.booking.schedule import local_slot, local_today, week_start
from deliberation.booking.setup import set_neighbours, set_opening_hours


@pytest.fixture
def moderator(secretary):
    return secretary


@pytest.fixture
def resident(make_user, community):
    return make_user("wangayi", community)


@pytest.fixture
def neighbour(make_user, community):
    return make_user("lishushu", community)


@pytest.fixture
def monday() -> date:
    """A Monday two weeks ahead, so every slot of the tests lies in the future."""
    return week_start(local_today()) + timedelta(days=14)


@pytest.fixture
def slot(monday):
    """slot(day_offset, "19:00", "21:00") → (starts_at, ends_at) in UTC, from local wall-clock times."""

    def make(offset: int, start: str, end: str):
        return local_slot(monday + timedelta(days=offset), time.fromisoformat(start),
                          time.fromisoformat(end))

    return make


@pytest.fixture
def make_room(session, moderator, community):
    def make(name: str, *, capacity: int = 20, noise: Noise = Noise.NORMAL, needs_approval: bool = False,
             booker: Booker = Booker.RESIDENTS, hours=None, of=None):
        room = create_room(session, moderator, of or community, name=name, capacity=capacity,
                           noise=noise, needs_approval=needs_approval, booker=booker)
        set_opening_hours(session, moderator, room,
                          hours if hours is not None else [(d, time(8), time(22)) for d in range(7)])
        session.commit()
        return room

    return make


@pytest.fixture
def dance_room(make_room):
    return make_room("舞蹈房", noise=Noise.NOISY, capacity=25)


@pytest.fixture
def calligraphy_room(make_room, session, moderator, dance_room):
    room = make_room("书画室", noise=Noise.QUIET, capacity=12)
    set_neighbours(session, moderator, room, dance_room)
    session.commit()
    return room


@pytest.fixture
def book(session, slot):
    """book(actor, room, day_offset, start, end, title=..., attendance=...) through the service, committed."""

    def make(actor, room, offset: int, start: str, end: str, *, title: str = "活动", attendance: int = 5,
             **kw):
        starts_at, ends_at = slot(offset, start, end)
        booking = create_booking(session, actor, room, title=title, attendance=attendance,
                                 starts_at=starts_at, ends_at=ends_at, **kw)
        session.commit()
        return booking

    return make
