"""Pages of the booking capability: rooms, week calendars, the booking form, my bookings, approvals, feeds,
and the moderator's setup of the station (rooms, hours, closed dates, neighbours, teams, the limit)."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from wtforms.fields.choices import SelectChoice

from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.accounts.models import Community
from deliberation.booking import feeds
from deliberation.booking.access import (
    booking_or_404,
    room_or_404,
    room_to_manage_or_404,
    team_or_404,
    team_to_manage_or_404,
)
from deliberation.booking.bookings import (
    approve_booking,
    bookings_of,
    cancel_booking,
    create_booking,
    decline_booking,
)
from deliberation.booking.checks import max_future_bookings
from deliberation.booking.forms import (
    BookingForm,
    ClosedDateForm,
    DecisionForm,
    HoursForm,
    MemberForm,
    NeighboursForm,
    RoomForm,
    SeriesForm,
    SettingsForm,
    TeamForm,
)
from deliberation.booking.models import Booking, BookingStatus, ClosedDate, Room, local_to_utc, to_local
from deliberation.booking.rooms import create_room, neighbours_of, rooms_of, update_room
from deliberation.booking.schedule import (
    bookings_between,
    bookings_on,
    closed_days,
    local_slot,
    local_today,
    week_start,
)
from deliberation.booking.series import create_series
from deliberation.booking.setup import (
    add_closed_date,
    closed_dates_from,
    remove_closed_date,
    set_max_future_bookings,
    set_opening_hours,
    set_room_neighbours,
)
from deliberation.booking.teams import (
    add_team_member,
    community_users,
    register_team,
    remove_team_member,
    team_members,
    teams_of,
    teams_with_members,
)
from deliberation.errors import DomainError, NotFound
from deliberation.extensions import db
from deliberation.forms import show_errors
from deliberation.limits import booking_limit
from deliberation.pagination import paginate

bp = Blueprint("booking", __name__)

WEEKDAYS = (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日"))
NOISE = {"quiet": _l("安静"), "normal": _l("一般"), "noisy": _l("吵闹")}
BOOKER = {"residents": _l("居民均可预约"), "teams": _l("仅限已登记团队"), "moderators": _l("仅限居委会")}
STATUS = {"pending": _l("待审批"), "approved": _l("已确认"), "declined": _l("未获批准"),
          "cancelled": _l("已取消")}


def hours_rows(room: Room) -> list[tuple[str, str, bool]]:
    """A room's weekly hours with runs of equal days joined: (周一至周四, 09:00–21:00, closed?)."""
    next_day = _("（次日）")
    texts = ["、".join(f"{h.opens:%H:%M}–{h.closes:%H:%M}" + (next_day if h.past_midnight and h.closes != time() else "")
                      for h in room.hours_on(weekday)) for weekday in range(7)]
    rows, first = [], 0
    for weekday in range(1, 8):
        if weekday == 7 or texts[weekday] != texts[first]:
            last = weekday - 1
            days = str(WEEKDAYS[first]) if first == last else _("%(first)s至%(last)s", first=WEEKDAYS[first],
                                                                   last=WEEKDAYS[last])
            rows.append((days, texts[first] or _("不开放"), not texts[first]))
            first = weekday
    return rows


@bp.context_processor
def _labels():
    return {"weekday_names": WEEKDAYS, "noise_labels": NOISE, "booker_labels": BOOKER,
            "status_labels": STATUS, "hours_rows": hours_rows}


def _safe_next(target: str | None) -> str | None:
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return None
    return target


def _week(arg: str | None) -> date:
    """The Monday of ?week=YYYY-MM-DD, or of this week."""
    try:
        day = date.fromisoformat(arg) if arg else local_today()
    except ValueError:
        day = local_today()
    return week_start(day)


def _days(monday: date, bookings: list[Booking]) -> list[tuple[date, list[Booking]]]:
    """Seven days with the bookings that start on each (local dates)."""
    by_day: dict[date, list[Booking]] = {monday + timedelta(days=n): [] for n in range(7)}
    for booking in bookings:
        by_day.setdefault(to_local(booking.starts_at).date(), []).append(booking)
    return [(day, by_day[day]) for day in sorted(by_day) if monday <= day < monday + timedelta(days=7)]


def _week_bookings(room_ids: list[int], monday: date) -> list[Booking]:
    lo = local_to_utc(monday, time())
    return bookings_between(db.session, room_ids, lo, lo + timedelta(days=7))


@bp.get("/communities/<int:community_id>/rooms")
@login_required
def rooms(community_id: int):
    """The rooms of the community's station, with links to book them."""
    community = community_or_404(community_id, current_user)
    can_moderate = community.can_moderate(current_user)
    pending = 0
    if can_moderate:
        pending = db.session.execute(select(func.count(Booking.id)).join(Room).where(
            Room.community_id == community.id, Booking.status == BookingStatus.PENDING)).scalar()
    return render_template("booking/rooms.html", community=community,
                           rooms=rooms_of(db.session, community), can_moderate=can_moderate,
                           pending=pending)


@bp.get("/communities/<int:community_id>/rooms/week")
@login_required
def station_week(community_id: int):
    """The whole station's week: every room's bookings, day by day."""
    community = community_or_404(community_id, current_user)
    monday = _week(request.args.get("week"))
    room_ids = list(db.session.execute(select(Room.id).where(Room.community_id == community.id)).scalars())
    days = _days(monday, _week_bookings(room_ids, monday))
    return render_template("booking/station_week.html", community=community, monday=monday, days=days,
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7))


@bp.get("/rooms/<int:room_id>")
@login_required
def room_week(room_id: int):
    """A room's week: opening hours, closed dates and bookings, day by day."""
    room = room_or_404(room_id, current_user)
    monday = _week(request.args.get("week"))
    days = _days(monday, _week_bookings([room.id], monday))
    closed = closed_days(db.session, room, monday, monday + timedelta(days=6))
    return render_template("booking/room_week.html", room=room, community=room.community, monday=monday,
                           days=days, closed=closed, neighbours=neighbours_of(db.session, room),
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
                           today=local_today(), feed_token=feeds.feed_token(current_user))


@bp.route("/rooms/<int:room_id>/book", methods=["GET", "POST"])
@login_required
@booking_limit
def book(room_id: int):
    """Book a room: date, start, end, title and attendance; a refusal keeps what was typed."""
    room = room_or_404(room_id, current_user)
    teams = teams_of(db.session, current_user, room.community_id)
    form = BookingForm()
    form.team_id.choices = [SelectChoice(0, _("个人预约")), *(SelectChoice(t.id, t.name) for t in teams)]
    if request.method == "GET":
        try:
            form.date.data = date.fromisoformat(request.args.get("date", ""))
        except ValueError:
            form.date.data = local_today()
    if form.validate_on_submit():
        starts_at, ends_at = local_slot(form.date.data, form.start.data, form.end.data)
        try:
            booking = create_booking(db.session, current_user, room, title=form.title.data,
                                     attendance=form.attendance.data, starts_at=starts_at,
                                     ends_at=ends_at, team=team_or_404(form.team_id.data, room))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            return render_template("booking/book.html", room=room, community=room.community, form=form,
                                   teams=teams, conflict=error.detail.get("conflict")), error.status
        db.session.commit()
        if booking.status == BookingStatus.PENDING:
            flash(_("已提交“%(title)s”（%(when)s），等待居委会审批", title=booking.title, when=booking.when))
        else:
            flash(_("已预约“%(title)s”（%(when)s）", title=booking.title, when=booking.when))
        return redirect(url_for(".room_week", room_id=room.id, week=form.date.data.isoformat()))
    return render_template("booking/book.html", room=room, community=room.community, form=form, teams=teams,
                           conflict=None), 422 if form.is_submitted() else 200


def _exception_dates(text: str | None) -> list[date]:
    """Dates typed one a line (or separated by commas or spaces); ValueError names the bad one."""
    dates = []
    for word in re.split(r"[\s,，、;；]+", text or ""):
        if word:
            try:
                dates.append(date.fromisoformat(word))
            except ValueError:
                raise ValueError(word) from None
    return dates


@bp.route("/rooms/<int:room_id>/series", methods=["GET", "POST"])
@login_required
@booking_limit
def book_series(room_id: int):
    """Book a room every week; each date that cannot be booked is listed with the booking in its way."""
    room = room_or_404(room_id, current_user)
    teams = teams_of(db.session, current_user, room.community_id)
    form = SeriesForm()
    form.team_id.choices = [SelectChoice(0, _("个人预约")), *(SelectChoice(t.id, t.name) for t in teams)]
    if request.method == "GET":
        form.first_day.data = local_today()
    if form.validate_on_submit():
        try:
            exceptions = _exception_dates(form.exceptions.data)
        except ValueError as error:
            form.exceptions.errors = [_("“%(word)s”不是日期，请写成 2027-02-16 的格式", word=str(error))]
            return render_template("booking/series.html", room=room, community=room.community, form=form,
                                   teams=teams, conflicts=[]), 422
        try:
            result = create_series(
                db.session, current_user, room, title=form.title.data, attendance=form.attendance.data,
                weekday=form.weekday.data, start_time=form.start.data, end_time=form.end.data,
                first_day=form.first_day.data, until=form.until.data, exceptions=exceptions,
                book_free_dates=form.book_free_dates.data, team=team_or_404(form.team_id.data, room))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            return render_template("booking/series.html", room=room, community=room.community, form=form,
                                   teams=teams, conflicts=error.detail.get("conflicts", [])), error.status
        db.session.commit()
        flash(_("已预约“%(title)s”共 %(n)d 次", title=result.series.title, n=len(result.bookings)))
        for conflict in result.conflicts:
            flash(_("%(day)s 未预约：%(reason)s", day=conflict.day.isoformat(), reason=conflict.message),
                  "error")
        first = result.bookings[0].local_start.date()
        return redirect(url_for(".room_week", room_id=room.id, week=first.isoformat()))
    return render_template("booking/series.html", room=room, community=room.community, form=form, teams=teams,
                           conflicts=[]), 422 if form.is_submitted() else 200


@bp.get("/bookings/mine")
@login_required
def my_bookings():
    """The user's own bookings: upcoming ones (or past ones with ?past=1), each with a cancel button."""
    past = request.args.get("past") == "1"
    page = paginate(db.session, bookings_of(current_user, past=past), per_page=20)
    return render_template("booking/mine.html", page=page, past=past, form=EmptyForm(),
                           feed_token=feeds.feed_token(current_user))


@bp.post("/bookings/<int:booking_id>/cancel")
@login_required
def cancel(booking_id: int):
    """Cancel one's booking (or, for moderators, any booking of the community)."""
    booking = booking_or_404(booking_id, current_user)
    target = _safe_next(request.form.get("next")) or url_for(".my_bookings")
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(target)
    try:
        cancel_booking(db.session, current_user, booking)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(target)
    db.session.commit()
    flash(_("已取消“%(title)s”（%(when)s）", title=booking.title, when=booking.when))
    return redirect(target)


@bp.get("/communities/<int:community_id>/rooms/queue")
@login_required
def queue(community_id: int):
    """The moderator's queue of bookings waiting for approval, soonest first."""
    community = community_or_404(community_id, current_user, moderate=True)
    stmt = (select(Booking).join(Room).where(Room.community_id == community.id,
                                             Booking.status == BookingStatus.PENDING)
            .order_by(Booking.starts_at).options(joinedload(Booking.room), joinedload(Booking.booked_by),
                                                 joinedload(Booking.team)))
    page = paginate(db.session, stmt, per_page=20)
    return render_template("booking/queue.html", community=community, page=page, form=DecisionForm())


def _decide(booking_id: int, approve: bool):
    booking = booking_or_404(booking_id, current_user)
    form = DecisionForm()
    target = url_for(".queue", community_id=booking.community_id)
    if not form.validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(target)
    decide = approve_booking if approve else decline_booking
    decide(db.session, current_user, booking, form.note.data or "")
    db.session.commit()
    message = _("已批准“%(title)s”（%(when)s）") if approve else _("已拒绝“%(title)s”（%(when)s）")
    flash(message % {"title": booking.title, "when": booking.when})
    return redirect(target)


@bp.post("/bookings/<int:booking_id>/approve")
@login_required
def approve(booking_id: int):
    """Approve a pending booking (moderators of its community)."""
    return _decide(booking_id, approve=True)


@bp.post("/bookings/<int:booking_id>/decline")
@login_required
def decline(booking_id: int):
    """Decline a pending booking (moderators of its community)."""
    return _decide(booking_id, approve=False)


def _ics(name: str, bookings: list[Booking], filename: str) -> Response:
    body = feeds.calendar(name, bookings, request.host)
    return Response(body, mimetype="text/calendar", headers={
        "Content-Disposition": f'inline; filename="{filename}"', "Cache-Control": "private, max-age=300"})


@bp.get("/rooms/<int:room_id>/calendar.ics")
def room_feed(room_id: int):
    """A room's bookings as an iCalendar feed (signed-in members, or a member's feed link)."""
    user = (current_user if current_user.is_authenticated
            else feeds.user_for_feed_token(request.args.get("token")))
    if user is None:
        raise NotFound(_("找不到该场地"))
    room = room_or_404(room_id, user)
    lo, hi = feeds.feed_window()
    return _ics(room.name, bookings_between(db.session, [room.id], lo, hi), f"room-{room.id}.ics")


@bp.get("/bookings/feed/<token>.ics")
def user_feed(token: str):
    """A user's own bookings as an iCalendar feed, by the signed link from "my bookings"."""
    user = feeds.user_for_feed_token(token)
    if user is None:
        raise NotFound(_("该日历链接无效或已失效"))
    return _ics(_("我的场地预约"), feeds.user_bookings(user), "my-bookings.ics")


# -- the moderator's setup: rooms, opening hours, closed dates, neighbours, teams, settings ------

def _room_data(room: Room) -> dict:
    return {"name": room.name, "description": room.description, "capacity": room.capacity,
            "noise": room.noise.value, "booker": room.booker.value, "needs_approval": room.needs_approval}


def _hours_data(room: Room) -> dict:
    days = []
    for weekday in range(7):
        windows = room.hours_on(weekday)
        day = {}
        for n, hours in enumerate(windows[:2], start=1):
            day[f"opens{n}"], day[f"closes{n}"] = hours.opens, hours.closes
        days.append(day)
    return {"days": days}


def _settings_page(community, form: SettingsForm | None = None, status: int = 200):
    if form is None:
        form = SettingsForm(formdata=None, data={
            "limit": max_future_bookings(db.session, community.id)})
    return render_template("booking/setup.html", community=community, form=form,
                           rooms=rooms_of(db.session, community)), status


@bp.get("/communities/<int:community_id>/rooms/setup")
@login_required
def setup(community_id: int):
    """The moderator's overview of the station: its rooms, teams and the booking limit."""
    community = community_or_404(community_id, current_user, moderate=True)
    return _settings_page(community)


@bp.post("/communities/<int:community_id>/rooms/settings")
@login_required
def settings(community_id: int):
    """Change how many future bookings a resident may hold at once."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = SettingsForm()
    if not form.validate_on_submit():
        return _settings_page(community, form, 422)
    try:
        set_max_future_bookings(db.session, current_user, community, form.limit.data)
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _settings_page(community, form, error.status)
    db.session.commit()
    flash(_("已保存：每位居民最多同时持有 %(n)d 个未来的预约", n=form.limit.data))
    return redirect(url_for(".setup", community_id=community.id))


def _room_values(form: RoomForm) -> dict:
    return {"name": form.name.data, "capacity": form.capacity.data, "noise": form.noise.data,
            "needs_approval": form.needs_approval.data, "booker": form.booker.data,
            "description": form.description.data or ""}


@bp.route("/communities/<int:community_id>/rooms/new", methods=["GET", "POST"])
@login_required
def new_room(community_id: int):
    """Add a room to the station; its opening hours are set on the next page."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = RoomForm()
    if form.validate_on_submit():
        try:
            room = create_room(db.session, current_user, community, **_room_values(form))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            return render_template("booking/room_new.html", community=community, form=form), error.status
        db.session.commit()
        flash(_("已添加场地“%(name)s”，请设置开放时间", name=room.name))
        return redirect(url_for(".room_setup", room_id=room.id))
    return render_template("booking/room_new.html", community=community,
                           form=form), 422 if form.is_submitted() else 200


def _room_setup_page(room: Room, *, room_form: RoomForm | None = None, hours_form: HoursForm | None = None,
                     closed_form: ClosedDateForm | None = None, neighbours_form: NeighboursForm | None = None,
                     day_errors: dict[int, str] | None = None, status: int = 200):
    """The room's setup page with its four forms; the one that was sent keeps what was typed."""
    others = [r for r in rooms_of(db.session, room.community) if r.id != room.id]
    if neighbours_form is None:
        neighbours_form = NeighboursForm(formdata=None, data={
            "neighbours": [r.id for r in neighbours_of(db.session, room)]})
    neighbours_form.neighbours.choices = [SelectChoice(r.id, r.name) for r in others]
    return render_template(
        "booking/room_setup.html", room=room, community=room.community, others=others,
        room_form=room_form if room_form is not None else RoomForm(formdata=None, data=_room_data(room)),
        hours_form=hours_form if hours_form is not None else HoursForm(formdata=None, data=_hours_data(room)),
        closed_form=closed_form if closed_form is not None else ClosedDateForm(formdata=None),
        neighbours_form=neighbours_form, day_errors=day_errors or {},
        closed_dates=closed_dates_from(db.session, room, local_today()),
        remove_form=EmptyForm(formdata=None)), status


@bp.get("/rooms/<int:room_id>/setup")
@login_required
def room_setup(room_id: int):
    """Set up a room: name and rules, opening hours per weekday, closed dates, neighbours."""
    return _room_setup_page(room_to_manage_or_404(room_id, current_user))


@bp.post("/rooms/<int:room_id>/setup")
@login_required
def room_update(room_id: int):
    """Change a room's name, capacity, noise level, approval and who may book it."""
    room = room_to_manage_or_404(room_id, current_user)
    form = RoomForm()
    if not form.validate_on_submit():
        return _room_setup_page(room, room_form=form, status=422)
    try:
        update_room(db.session, current_user, room, **_room_values(form))
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _room_setup_page(room, room_form=form, status=error.status)
    db.session.commit()
    flash(_("已保存“%(name)s”的设置", name=room.name))
    return redirect(url_for(".room_setup", room_id=room.id))


@bp.post("/rooms/<int:room_id>/hours")
@login_required
def room_hours(room_id: int):
    """Replace a room's weekly opening hours; a closing time before the opening time is the next day."""
    room = room_to_manage_or_404(room_id, current_user)
    form = HoursForm()
    if not form.validate_on_submit():
        return _room_setup_page(room, hours_form=form, status=422)
    hours = [(weekday, opens, closes) for weekday, day in enumerate(form.days)
             for opens, closes in day.form.windows()]
    try:
        set_opening_hours(db.session, current_user, room, hours)
    except DomainError as error:
        db.session.rollback()
        day_errors = {int(key.split("-")[1]): message for key, message in error.fields.items()
                      if re.fullmatch(r"hours-\d", key)}
        flash(error.message, "error")
        return _room_setup_page(room, hours_form=form, day_errors=day_errors, status=error.status)
    db.session.commit()
    flash(_("已保存“%(name)s”的开放时间", name=room.name))
    return redirect(url_for(".room_setup", room_id=room.id) + "#hours")


@bp.post("/rooms/<int:room_id>/closed")
@login_required
def room_closed_add(room_id: int):
    """Close a room on a date (a holiday); bookings already made that day are pointed out."""
    room = room_to_manage_or_404(room_id, current_user)
    form = ClosedDateForm()
    if not form.validate_on_submit():
        return _room_setup_page(room, closed_form=form, status=422)
    try:
        add_closed_date(db.session, current_user, room, form.day.data, form.reason.data or "")
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _room_setup_page(room, closed_form=form, status=error.status)
    db.session.commit()
    flash(_("“%(name)s”在 %(day)s 不开放", name=room.name, day=form.day.data.isoformat()))
    live = bookings_on(db.session, room, form.day.data)
    if live:
        flash(_("当天已有 %(n)d 个预约：%(titles)s。请联系预约人后在日程中取消。", n=len(live),
                titles="、".join(f"“{b.title}”（{b.when}）" for b in live)), "error")
    return redirect(url_for(".room_setup", room_id=room.id) + "#closed")


@bp.post("/rooms/<int:room_id>/closed/<int:closed_id>/remove")
@login_required
def room_closed_remove(room_id: int, closed_id: int):
    """Open a room again on a date that was closed."""
    room = room_to_manage_or_404(room_id, current_user)
    closed = db.session.get(ClosedDate, closed_id)
    if closed is None or closed.room_id != room.id:
        raise NotFound(_("找不到该日期"))
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(url_for(".room_setup", room_id=room.id) + "#closed")
    day = closed.day
    remove_closed_date(db.session, current_user, room, closed)
    db.session.commit()
    flash(_("“%(name)s”在 %(day)s 恢复开放", name=room.name, day=day.isoformat()))
    return redirect(url_for(".room_setup", room_id=room.id) + "#closed")


@bp.post("/rooms/<int:room_id>/neighbours")
@login_required
def room_neighbours(room_id: int):
    """Choose the rooms next to this one: quiet and noisy neighbours are not booked at the same time."""
    room = room_to_manage_or_404(room_id, current_user)
    form = NeighboursForm()
    others = {r.id: r for r in rooms_of(db.session, room.community) if r.id != room.id}
    form.neighbours.choices = [SelectChoice(r.id, r.name) for r in others.values()]
    if not form.validate_on_submit():
        return _room_setup_page(room, neighbours_form=form, status=422)
    chosen = form.neighbours.data or []
    unknown = [i for i in chosen if i not in others]
    if unknown:
        form.neighbours.errors = [_("请从列表中选择场地")]
        return _room_setup_page(room, neighbours_form=form, status=422)
    try:
        set_room_neighbours(db.session, current_user, room, [others[i] for i in chosen])
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _room_setup_page(room, neighbours_form=form, status=error.status)
    db.session.commit()
    flash(_("已保存“%(name)s”的相邻场地", name=room.name))
    return redirect(url_for(".room_setup", room_id=room.id) + "#neighbours")


def _usernames(text: str | None) -> list[str]:
    return [word for word in re.split(r"[\s,，、;；]+", text or "") if word]


@bp.route("/communities/<int:community_id>/teams", methods=["GET", "POST"])
@login_required
def teams(community_id: int):
    """The community's registered teams and their members; register a new team."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = TeamForm()
    status = 200
    if form.validate_on_submit():
        try:
            members = community_users(db.session, community, _usernames(form.members.data))
            team = register_team(db.session, current_user, community, form.name.data, members)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("已登记团队“%(name)s”", name=team.name))
            return redirect(url_for(".team", team_id=team.id))
    elif form.is_submitted():
        status = 422
    return render_template("booking/teams.html", community=community, form=form,
                           teams=teams_with_members(db.session, community)), status


def _team_page(team, form: MemberForm | None = None, status: int = 200):
    return render_template("booking/team.html", team=team, community=db.session.get(Community, team.community_id),
                           members=team_members(db.session, team),
                           form=form if form is not None else MemberForm(formdata=None),
                           remove_form=EmptyForm(formdata=None)), status


@bp.get("/teams/<int:team_id>")
@login_required
def team(team_id: int):
    """A team's members, who may book for it; add or remove members."""
    return _team_page(team_to_manage_or_404(team_id, current_user))


@bp.post("/teams/<int:team_id>/members")
@login_required
def team_member_add(team_id: int):
    """Add a member to a team by user name."""
    team = team_to_manage_or_404(team_id, current_user)
    form = MemberForm()
    if not form.validate_on_submit():
        return _team_page(team, form, 422)
    try:
        user = add_team_member(db.session, current_user, team, form.username.data)
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _team_page(team, form, error.status)
    db.session.commit()
    flash(_("%(name)s 已加入“%(team)s”", name=user.display_name, team=team.name))
    return redirect(url_for(".team", team_id=team.id))


@bp.post("/teams/<int:team_id>/members/<int:user_id>/remove")
@login_required
def team_member_remove(team_id: int, user_id: int):
    """Remove a member from a team; their bookings stay."""
    team = team_to_manage_or_404(team_id, current_user)
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(url_for(".team", team_id=team.id))
    remove_team_member(db.session, current_user, team, user_id)
    db.session.commit()
    flash(_("已将该成员移出“%(team)s”", team=team.name))
    return redirect(url_for(".team", team_id=team.id))
