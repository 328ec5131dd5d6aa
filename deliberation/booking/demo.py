"""Demo data: the station's rooms, their hours and neighbours, a dance team's weekly rehearsal."""

from __future__ import annotations

from datetime import time, timedelta

from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, User
from deliberation.booking.bookings import create_booking
from deliberation.booking.models import Booker, Noise, Room
from deliberation.booking.rooms import create_room
from deliberation.booking.schedule import local_slot, local_today
from deliberation.booking.series import create_series
from deliberation.booking.setup import add_closed_date, set_neighbours, set_opening_hours
from deliberation.booking.teams import register_team

DAYTIME = [(d, time(9), time(21)) for d in range(7)]

ROOMS = [
    # name, capacity, noise, needs approval, who may book, description, hours
    ("多功能会议室", 40, Noise.NORMAL, True, Booker.RESIDENTS, "居委会联席会议、议事会、讲座", DAYTIME),
    ("乒乓房", 8, Noise.NORMAL, False, Booker.RESIDENTS, "两张球台", DAYTIME),
    ("舞蹈房", 25, Noise.NOISY, False, Booker.TEAMS, "镜墙、音响；仅限登记团队",
     [(d, time(9), time(21, 30)) for d in range(7)]),
    ("书画室", 12, Noise.QUIET, False, Booker.RESIDENTS, "书法、国画课；与舞蹈房一墙之隔", DAYTIME),
    ("共享书吧", 20, Noise.QUIET, False, Booker.RESIDENTS, "儿童阅读、老人读报",
     # Friday and Saturday evening reading nights run past midnight.
     [(d, time(9), time(21)) for d in range(4)] + [(4, time(9), time(1)), (5, time(9), time(1)),
                                                   (6, time(9), time(21))]),
    ("儿童乐高区", 15, Noise.NORMAL, False, Booker.RESIDENTS, "周末亲子活动", DAYTIME),
]


def load_demo_rooms(session: Session, community: Community, admin: User) -> dict[str, Room]:
    """Create the station's rooms with opening hours, neighbours, a team and some bookings."""
    rooms: dict[str, Room] = {}
    for name, capacity, noise, approval, booker, description, hours in ROOMS:
        room = create_room(session, admin, community, name=name, capacity=capacity, noise=noise,
                           needs_approval=approval, booker=booker, description=description)
        set_opening_hours(session, admin, room, hours)
        rooms[name] = room
    set_neighbours(session, admin, rooms["舞蹈房"], rooms["书画室"])
    set_neighbours(session, admin, rooms["共享书吧"], rooms["儿童乐高区"])
    set_neighbours(session, admin, rooms["乒乓房"], rooms["舞蹈房"])

    today = local_today()
    national_day = today.replace(month=10, day=1)
    if national_day <= today:
        national_day = national_day.replace(year=today.year + 1)
    for room in rooms.values():
        add_closed_date(session, admin, room, national_day, "国庆节")

    dance = register_team(session, admin, community, "星光舞蹈队", [admin])
    register_team(session, admin, community, "翰墨书画班", [admin])
    start = today + timedelta(days=1)
    # Tuesday 19:00–21:00 until about June; the station's closed days are reported, not booked.
    create_series(session, admin, rooms["舞蹈房"], title="星光舞蹈队排练", attendance=18, weekday=1,
                  start_time=time(19), end_time=time(21), first_day=start,
                  until=start + timedelta(weeks=26), book_free_dates=True, team=dance)
    create_series(session, admin, rooms["书画室"], title="翰墨书画班", attendance=10, weekday=3,
                  start_time=time(14), end_time=time(16), first_day=start,
                  until=start + timedelta(weeks=12), book_free_dates=True)
    saturday = start + timedelta(days=(5 - start.weekday()) % 7)
    for room, title, attendance, begin, end in [
        ("多功能会议室", "居委会、业委会、物业三方联席会议", 20, time(14), time(16)),
        ("儿童乐高区", "周末亲子乐高", 12, time(10), time(11, 30)),
        ("共享书吧", "夜读会", 15, time(20), time(0, 30)),
        ("乒乓房", "楼组乒乓友谊赛", 8, time(9), time(11)),
    ]:
        starts_at, ends_at = local_slot(saturday, begin, end)
        create_booking(session, admin, rooms[room], title=title, attendance=attendance,
                       starts_at=starts_at, ends_at=ends_at)
    return rooms
