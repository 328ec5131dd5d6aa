"""The moderator's setup pages of the station: rooms, opening hours, closed dates, neighbours, teams, the limit."""

from __future__ import annotations

import re

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.accounts.models import Community
from deliberation.booking.access import room_to_manage_or_404, team_to_manage_or_404
from deliberation.booking.blueprint import bp
from deliberation.booking.checks import max_future_bookings
from deliberation.booking.forms import (
    ClosedDateForm,
    HoursForm,
    MemberForm,
    NeighboursForm,
    RoomForm,
    SettingsForm,
    TeamForm,
)
from deliberation.booking.models import ClosedDate, Room
from deliberation.booking.rooms import create_room, neighbours_of, rooms_of, update_room
from deliberation.booking.schedule import bookings_on, local_today
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
    teams_with_members,
)
from deliberation.errors import DomainError, NotFound
from deliberation.extensions import db
from deliberation.forms import show_errors


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
