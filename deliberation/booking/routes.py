"""Pages of the booking capability: rooms, week calendars, the booking form, my bookings, approvals, feeds.

The moderator's setup of the station lives in setup_pages, registered on the same blueprint."""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from urllib.parse import urlsplit

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from deliberation import inputs
from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.booking import feeds, setup_pages  # noqa: F401  (setup_pages registers its pages on bp)
from deliberation.booking.access import booking_or_404, room_or_404, team_or_404
from deliberation.booking.blueprint import bp
from deliberation.booking.bookings import (
    approve_booking,
    bookings_of,
    cancel_booking,
    create_booking,
    decline_booking,
    pending_count,
    pending_of,
)
from deliberation.booking.forms import BookingForm, DecisionForm, SeriesForm
from deliberation.booking.models import Booking, BookingStatus, local_to_utc, to_local
from deliberation.booking.rooms import neighbours_of, room_ids_of, rooms_of
from deliberation.booking.schedule import bookings_between, closed_days, local_slot, local_today, week_start
from deliberation.booking.series import create_series
from deliberation.booking.teams import teams_of
from deliberation.db import reads_first
from deliberation.errors import DomainError, NotFound, require
from deliberation.extensions import db
from deliberation.forms import ConfirmForm, show_errors
from deliberation.limits import booking_limit
from deliberation.pagination import paginate


def _safe_next(target: str | None) -> str | None:
    if not target or not target.startswith("/") or target.startswith("//") or urlsplit(target).netloc:
        return None
    return target


def _week() -> date:
    """The Monday of ?week=YYYY-MM-DD (within 1900–2100), or of this week."""
    return week_start(inputs.day_arg("week") or local_today())


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
    pending = pending_count(db.session, community) if can_moderate else 0
    return render_template("booking/rooms.html", community=community,
                           rooms=rooms_of(db.session, community), can_moderate=can_moderate,
                           pending=pending)


@bp.get("/communities/<int:community_id>/rooms/week")
@login_required
def station_week(community_id: int):
    """The whole station's week: every room's bookings, day by day."""
    community = community_or_404(community_id, current_user)
    monday = _week()
    room_ids = room_ids_of(db.session, community)
    days = _days(monday, _week_bookings(room_ids, monday))
    return render_template("booking/station_week.html", community=community, monday=monday, days=days,
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7))


@bp.get("/rooms/<int:room_id>")
@login_required
def room_week(room_id: int):
    """A room's week: opening hours, closed dates and bookings, day by day."""
    room = room_or_404(room_id, current_user)
    monday = _week()
    days = _days(monday, _week_bookings([room.id], monday))
    closed = closed_days(db.session, room, monday, monday + timedelta(days=6))
    return render_template("booking/room_week.html", room=room, community=room.community, monday=monday,
                           days=days, closed=closed, neighbours=neighbours_of(db.session, room),
                           prev_week=monday - timedelta(days=7), next_week=monday + timedelta(days=7),
                           today=local_today(), feed_token=feeds.feed_token(current_user))


@bp.route("/rooms/<int:room_id>/book", methods=["GET", "POST"])
@reads_first  # SQLite's write lock only for the booking's writes (its checks read first: bookings.create_booking)
@login_required
@booking_limit
def book(room_id: int):
    """Book a room: date, start, end, title and attendance; a refusal keeps what was typed."""
    room = room_or_404(room_id, current_user)
    teams = teams_of(db.session, current_user, room.community_id)
    form = BookingForm()
    form.team_id.choices = [SelectChoice(0, _("个人预约")), *(SelectChoice(t.id, t.name) for t in teams)]
    if request.method == "GET":
        form.date.data = inputs.day_arg("date") or local_today()
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
                day = date.fromisoformat(word)
            except ValueError:
                raise ValueError(word) from None
            if inputs.problem(day):
                raise ValueError(word)
            dates.append(day)
    return dates


@bp.route("/rooms/<int:room_id>/series", methods=["GET", "POST"])
@reads_first  # SQLite's write lock only for the booking's writes (its checks read first: bookings.create_booking)
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


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(booking_id: int):
    """Cancel one's booking (or, for moderators, any booking of the community): a page says what
    cancelling does; only its confirmed POST cancels. A POST without the confirmation goes there."""
    booking = booking_or_404(booking_id, current_user)
    require(booking.can_cancel(current_user), _("只有预约人或居委会可以取消这个预约"))
    target = _safe_next(request.values.get("next")) or url_for(".my_bookings")
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST":
            return redirect(url_for(".cancel", booking_id=booking.id, next=target), 303)
        return render_template(
            "confirm.html", form=form, question=_("确认取消“%(title)s”？", title=booking.title),
            consequences=[_("取消%(room)s %(when)s的预约", room=booking.room.name, when=booking.when),
                          _("这个时段将让给其他人预约；如需再用，要重新预约")],
            confirm_label=_("确认取消这个预约"), action=url_for(".cancel", booking_id=booking.id),
            extra={"next": target}, back=target, back_label=_("我的预约"))
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
    page = paginate(db.session, pending_of(community), per_page=20)
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
