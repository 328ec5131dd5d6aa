"""The demo station loads through the services, rules and all."""

from __future__ import annotations

from sqlalchemy import func, select

from deliberation.booking.demo import load_demo_rooms
from deliberation.booking.models import Booking, BookingSeries, Noise
from deliberation.booking.rooms import neighbours_of


def test_the_demo_station_has_its_rooms_a_quiet_room_next_to_the_dance_room_and_a_weekly_rehearsal(
        session, make_community, make_user):
    community = make_community()
    admin = make_user("admin", is_admin=True)
    rooms = load_demo_rooms(session, community, admin)
    session.commit()
    assert set(rooms) == {"多功能会议室", "乒乓房", "舞蹈房", "书画室", "共享书吧", "儿童乐高区"}
    assert rooms["舞蹈房"].noise == Noise.NOISY and rooms["书画室"].noise == Noise.QUIET
    assert rooms["书画室"] in neighbours_of(session, rooms["舞蹈房"])
    rehearsal = session.execute(
        select(BookingSeries).where(BookingSeries.title == "星光舞蹈队排练")).scalar_one()
    assert rehearsal.weekday == 1 and rehearsal.team.name == "星光舞蹈队"
    weekly = session.execute(select(func.count(Booking.id)).where(Booking.series_id == rehearsal.id)).scalar()
    assert weekly >= 20
