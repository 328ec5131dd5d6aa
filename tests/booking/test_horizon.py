"""How far ahead a resident may book (BOOKING_HORIZON_DAYS, 90 by default); moderators plan further."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from deliberation.booking.bookings import create_booking
from deliberation.booking.schedule import local_slot, local_today
from deliberation.booking.series import create_series
from deliberation.errors import Invalid


def _slot(days_ahead: int):
    return local_slot(local_today() + timedelta(days=days_ahead), time(10), time(11))


@pytest.mark.parametrize(("who", "days_ahead", "allowed"), [
    ("resident", 1, True),
    ("resident", 89, True),     # a day inside the horizon, whatever the hour of the test
    ("resident", 91, False),    # a day past it
    ("resident", 365, False),
    ("moderator", 91, True),    # the station's own events
    ("moderator", 365, True),
])
def test_a_booking_beyond_the_horizon_is_refused_with_the_last_day(session, request, dance_room, who, days_ahead,
                                                                   allowed):
    actor = request.getfixturevalue(who)
    starts_at, ends_at = _slot(days_ahead)
    if allowed:
        assert create_booking(session, actor, dance_room, title="排练", attendance=5, starts_at=starts_at,
                              ends_at=ends_at).id
        return
    with pytest.raises(Invalid) as refused:
        create_booking(session, actor, dance_room, title="排练", attendance=5, starts_at=starts_at,
                       ends_at=ends_at)
    assert "只能预约 90 天以内" in refused.value.message and "date" in refused.value.fields


@pytest.mark.parametrize("config_overrides", [{"BOOKING_HORIZON_DAYS": 14}])
def test_the_horizon_is_a_setting(session, resident, dance_room, config_overrides):
    starts_at, ends_at = _slot(20)
    with pytest.raises(Invalid, match="14 天以内"):
        create_booking(session, resident, dance_room, title="排练", attendance=5, starts_at=starts_at,
                       ends_at=ends_at)


def test_a_series_books_the_dates_inside_the_horizon_and_names_the_others(session, resident, dance_room):
    first = local_today() + timedelta(days=7)
    result = create_series(session, resident, dance_room, title="每周排练", attendance=5, weekday=first.weekday(),
                           start_time=time(10), end_time=time(11), first_day=first,
                           until=first + timedelta(weeks=20), book_free_dates=True)
    booked = [b.starts_at for b in result.bookings]
    assert booked and all(b <= _slot(91)[0] for b in booked)
    assert result.conflicts and all("只能预约" in c.message for c in result.conflicts)
    assert len(booked) + len(result.conflicts) == 21


def test_a_page_past_the_last_shows_the_last(app, community, session):
    from sqlalchemy import select

    from deliberation.accounts.models import Community
    from deliberation.pagination import paginate

    with app.test_request_context("/?page=999"):
        page = paginate(session, select(Community), per_page=1)
    assert page.number == page.pages == 1 and page.items
