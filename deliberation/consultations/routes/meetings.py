"""Pages of a joint meeting: the meeting with its attendance (and, for moderators, its sign-in code), the
resident's sign-in by that code, the printable sign-in sheet, ticking names and recording departments."""

from __future__ import annotations

import segno
from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from deliberation import documents, inputs
from deliberation.accounts.forms import EmptyForm
from deliberation.consultations import meetings
from deliberation.consultations.access import meeting_or_404
from deliberation.consultations.forms import AttendanceForm, DepartmentForm, RemoveDepartmentForm
from deliberation.consultations.routes.blueprint import bp
from deliberation.errors import DomainError, NotFound, require
from deliberation.extensions import db
from deliberation.forms import error_summary, show_errors

# Which refusal of a sign-in link answers which status: a forged link is a bad request, an untimely one
# a conflict with the meeting's time, a passed one gone.
REFUSED_STATUS = {"forged": 400, "early": 409, "expired": 410}


def _sign_in_link(meeting) -> str:
    return url_for(".meeting_sign_in", sign_in_token=meetings.sign_in_token(meeting), _external=True)


def render_meeting(meeting, status: int = 200, department_form: DepartmentForm | None = None):
    """The meeting page: attendance by role for everyone who sees the session; the code, the sheet and the
    list of who is present for its moderators."""
    can_moderate = meeting.can_take_attendance(current_user)
    context = {}
    if can_moderate:
        link = _sign_in_link(meeting)
        context = {
            "link": link,
            "qr": Markup(segno.make(link, error="m").svg_inline(  # noqa: S704 -- SVG drawn by segno from our own URL
                scale=6, border=2, omitsize=False, title=_("扫码签到"))),
            "window": meetings.sign_in_window(meeting),
            "present": meetings.present_list(db.session, meeting),
            "department_form": department_form or DepartmentForm(),
            "remove_form": EmptyForm(),
        }
    mine = meetings.attendance_of(db.session, meeting, current_user)
    return render_template(
        "consultations/meeting.html",
        meeting=meeting,
        consultation=meeting.consultation,
        attendance=meetings.attendance_by_meeting(db.session, [meeting.id])[meeting.id],
        can_moderate=can_moderate,
        mine=mine,
        **context,
    ), status


@bp.get("/meetings/<int:meeting_id>")
@login_required
def meeting(meeting_id: int):
    """A joint meeting: when and where, who attended by role; for moderators its sign-in code and sheet."""
    return render_meeting(meeting_or_404(meeting_id, current_user))


def _meeting_by_token(token: str):
    """The meeting a scanned link names for the signed-in user, or the page saying why it signs nobody in."""
    try:
        found = meetings.meeting_for_token(db.session, token)
    except meetings.TokenRefused as refused:
        if refused.meeting is not None:
            require(refused.meeting.can_sign_in(current_user), _("找不到该会议"), hidden=True)
        page = render_template("consultations/meeting_sign_in.html", refused=refused.message,
                               meeting=refused.meeting if refused.reason != "forged" else None)
        return None, (page, REFUSED_STATUS[refused.reason])
    require(found.can_sign_in(current_user), _("找不到该会议"), hidden=True)
    return found, None


@bp.route("/meetings/sign-in/<sign_in_token>", methods=["GET", "POST"])
@login_required
def meeting_sign_in(sign_in_token: str):
    """A resident who scanned the meeting's code confirms they are present (我已到场): once, however often."""
    found, refusal = _meeting_by_token(sign_in_token)
    if refusal is not None:
        return refusal
    form = EmptyForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            flash(_("请求已过期，请再点一次“我已到场”"), "error")
            return redirect(url_for(".meeting_sign_in", sign_in_token=sign_in_token))
        _row, new = meetings.sign_in(db.session, current_user, found)
        db.session.commit()
        flash(_("签到成功，欢迎参加会议") if new else _("您已经签到过了"))
        return redirect(url_for(".meeting_sign_in", sign_in_token=sign_in_token))
    return render_template("consultations/meeting_sign_in.html", meeting=found, form=form, refused=None,
                           mine=meetings.attendance_of(db.session, found, current_user))


@bp.get("/meetings/<int:meeting_id>/sheet.pdf")
@login_required
def meeting_sheet(meeting_id: int):
    """The printable A4 sign-in sheet: the roster's names by building and flat, a column to sign (moderators)."""
    found = meeting_or_404(meeting_id, current_user, moderate=True)
    rows = meetings.sheet_rows(db.session, found, _building_arg(found))
    link = _sign_in_link(found)
    html = render_template(
        "consultations/meeting_sheet.html",
        meeting=found,
        groups=meetings.grouped_by_building(rows),
        qr=Markup(segno.make(link, error="m").svg_inline(scale=3, border=2, omitsize=True)),  # noqa: S704
    )
    pdf = documents.render_pdf(html, base_url=request.url_root)
    return documents.download(pdf, _("联席会议签到表-%(title)s.pdf", title=found.consultation.title[:60]),
                              documents.PDF_TYPE, inline=True)


def _attendance_form(rows, form: AttendanceForm | None = None) -> AttendanceForm:
    form = form or AttendanceForm()
    form.person_ids.choices = [SelectChoice(r.person_id, r.name) for r in rows]
    return form


def _building_arg(meeting) -> int | None:
    """The building chosen in the query (?building=<id>), if it is one of the meeting's community."""
    wanted = inputs.id_arg("building")
    if wanted is None:
        return None
    if wanted not in {bid for bid, _name in meetings.buildings_of(db.session, meeting)}:
        raise NotFound(_("找不到该楼栋"))
    return wanted


@bp.route("/meetings/<int:meeting_id>/attendance", methods=["GET", "POST"])
@login_required
def meeting_attendance(meeting_id: int):
    """Tick who is present from the sign-in sheet, one building at a time (moderators); un-ticking takes a name
    off; ?building=all lists everyone."""
    found = meeting_or_404(meeting_id, current_user, moderate=True)
    buildings = meetings.buildings_of(db.session, found)
    if request.args.get("building") == "all":
        building_id = None
    else:
        building_id = _building_arg(found) or (buildings[0][0] if buildings else None)
    rows = meetings.sheet_rows(db.session, found, building_id)
    form = _attendance_form(rows)
    status = 200
    if form.validate_on_submit():
        try:
            added, removed = meetings.tick(db.session, current_user, found, form.person_ids.data or [],
                                           shown=[r.person_id for r in rows])
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("签到已保存：新增 %(a)d 人，取消 %(r)d 人", a=added, r=removed))
            return redirect(url_for(".meeting", meeting_id=found.id))
    elif form.is_submitted():
        status = 422
    ticked = set(form.person_ids.data or []) if form.is_submitted() else meetings.present_person_ids(db.session, found)
    return render_template(
        "consultations/meeting_attendance.html",
        meeting=found,
        consultation=found.consultation,
        groups=meetings.grouped_by_building(rows),
        buildings=buildings,
        building_id=building_id,
        ticked=ticked,
        form=form,
        problem=error_summary(form) if form.is_submitted() else "",
    ), status


@bp.post("/meetings/<int:meeting_id>/departments")
@login_required
def add_meeting_department(meeting_id: int):
    """Record a department's representative present (moderators)."""
    found = meeting_or_404(meeting_id, current_user, moderate=True)
    form = DepartmentForm()
    if not form.validate_on_submit():
        return render_meeting(found, 422, department_form=form)
    try:
        meetings.add_department(db.session, current_user, found, form.department.data, form.name.data or "")
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return render_meeting(found, error.status, department_form=form)
    db.session.commit()
    flash(_("已登记单位出席"))
    return redirect(url_for(".meeting", meeting_id=found.id) + "#present")


@bp.post("/meetings/<int:meeting_id>/departments/remove")
@login_required
def remove_meeting_department(meeting_id: int):
    """Take a department's line off the attendance (moderators)."""
    found = meeting_or_404(meeting_id, current_user, moderate=True)
    form = RemoveDepartmentForm()
    if not form.validate_on_submit():
        flash(error_summary(form) or _("请求有误，请重试"), "error")
        return redirect(url_for(".meeting", meeting_id=found.id) + "#present")
    try:
        meetings.remove_department(db.session, current_user, found, form.attendance_id.data)
    except (DomainError, NotFound) as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".meeting", meeting_id=found.id) + "#present")
    db.session.commit()
    flash(_("已删除该单位出席记录"))
    return redirect(url_for(".meeting", meeting_id=found.id) + "#present")
