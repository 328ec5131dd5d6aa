"""Pages of sessions: the list, the form, the session page with its phases and joint meetings."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from deliberation import inputs
from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.accounts.models import Community
from deliberation.booking.models import Room as BookingRoom
from deliberation.booking.rooms import rooms_of
from deliberation.consultations import meetings, proposals, sessions
from deliberation.consultations.access import (
    EVERY_PART,
    PageParts,
    consultation_or_404,
    session_page_or_404,
    with_meetings,
)
from deliberation.consultations.forms import (
    CommentForm,
    ConsultationForm,
    MeetingForm,
    PhaseForm,
    ReplyForm,
    RoundForm,
    to_local,
    to_utc,
)
from deliberation.consultations.models import (
    PHASE_ORDER,
    Consultation,
    Eligibility,
    Phase,
    RoundState,
)
from deliberation.consultations.routes.blueprint import bp
from deliberation.consultations.routes.comment_form import comment_form as render_comment_form
from deliberation.consultations.routes.comment_list import comment_list
from deliberation.errors import DomainError
from deliberation.extensions import db
from deliberation.forms import show_errors
from deliberation.pagination import page_number
from deliberation.surveys.lists import surveys_for_consultation
from deliberation.voting.results import votes_for_consultation


@bp.get("/communities/<int:community_id>/consultations")
@login_required
def index(community_id: int):
    """The community's sessions the user may see, newest first."""
    community = community_or_404(community_id, current_user)
    page = sessions.consultations_of(db.session, current_user, community, page=page_number())
    return render_template(
        "consultations/list.html",
        community=community,
        page=page,
        can_moderate=community.can_moderate(current_user),
    )


def _consultation_form(community: Community, consultation: Consultation | None = None) -> ConsultationForm:
    form = (
        ConsultationForm(obj=consultation) if consultation and request.method == "GET" else ConsultationForm()
    )
    form.building_ids.choices = [SelectChoice(b.id, b.name) for b in community.buildings]
    form.staircases.choices = [
        SelectChoice(f"{building_id}:{staircase}", f"{name} {staircase}")
        for building_id, name, staircase in sessions.staircase_choices(db.session, community.id)
    ]
    if consultation is not None and request.method == "GET":
        form.eligibility.data = consultation.eligibility.value
        form.building_ids.data = [b.id for b in consultation.buildings]
        form.staircases.data = [f"{b}:{st}" for b, _name, st in sessions.staircases_of(db.session, consultation)]
        form.person_ids.data = ", ".join(str(p.id) for p in consultation.persons)
        for name in ("commenting_at", "voting_at", "closes_at"):
            form[name].data = to_local(getattr(consultation, name))
    return form


def _consultation_input(form: ConsultationForm) -> sessions.ConsultationInput:
    return sessions.ConsultationInput(
        title=form.title.data,
        background=form.background.data,
        participants=form.participants.data,
        eligibility=form.eligibility.data,
        building_ids=form.building_ids.data or [],
        staircases=form.staircase_list(),
        person_ids=form.person_id_list(),
        commenting_at=to_utc(form.commenting_at.data),
        voting_at=to_utc(form.voting_at.data),
        closes_at=to_utc(form.closes_at.data),
        pre_moderation=form.pre_moderation.data,
    )


@bp.route("/communities/<int:community_id>/consultations/new", methods=["GET", "POST"])
@login_required
def create(community_id: int):
    """Create a session (moderators); it starts as a draft."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = _consultation_form(community)
    if form.validate_on_submit():
        try:
            consultation = sessions.create_consultation(
                db.session, current_user, community, _consultation_input(form)
            )
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("议事已创建（草稿，居民暂时看不到）"))
            return redirect(url_for(".detail", consultation_id=consultation.id))
    return render_template("consultations/form.html", community=community, form=form, consultation=None), (
        422 if form.is_submitted() else 200
    )


@bp.route("/consultations/<int:consultation_id>/edit", methods=["GET", "POST"])
@login_required
def edit(consultation_id: int):
    """Edit a session's text, eligibility, schedule and pre-moderation (moderators)."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = _consultation_form(consultation.community, consultation)
    if form.validate_on_submit():
        try:
            sessions.update_consultation(db.session, current_user, consultation, _consultation_input(form))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("议事已更新"))
            return redirect(url_for(".detail", consultation_id=consultation.id))
    return render_template(
        "consultations/form.html", community=consultation.community, form=form, consultation=consultation
    ), 422 if form.is_submitted() else 200


def render_detail(
    consultation: Consultation,
    status: int = 200,
    comment_form: CommentForm | None = None,
    reply_to: int | None = None,
    reply_form: ReplyForm | None = None,
    meeting_form: MeetingForm | None = None,
    report_to: int | None = None,
    round_form: RoundForm | None = None,
    parts: PageParts = EVERY_PART,
):
    """The session page; forms that failed come back with their errors and what was typed.

    Every caller loaded the session through consultation_or_404, which asked can_view already, and
    taking part is viewing (Consultation.can_take_part): the eligibility is not computed twice.
    The reply and report forms are written out for the one comment chosen (reply_to, report_to).
    """
    found = proposals.proposals_of(db.session, consultation) if parts.proposals else []
    rounds = with_meetings(consultation, any_held=parts.meetings).rounds
    wanted = request.args.get("round", "")
    selected = next((r for r in rounds if str(r.number) == wanted), None)
    can_moderate = consultation.can_moderate(current_user)
    shown = comment_list(
        consultation,
        current_user,
        selected,
        request.args.get("sort", "supported"),
        page_number(),
        moderator=can_moderate,
        reply_to=reply_to,
        report_to=report_to,
        viewer_marks=parts.viewer_marks,
        reply_form=reply_form or ReplyForm() if reply_to is not None else None,
        empty_form=EmptyForm() if can_moderate else None,
    )
    # The forms a resident's page does not show are not built (nor their choices loaded).
    round_open = shown.round is not None and shown.round.state == RoundState.OPEN
    phase_form = None
    if can_moderate:
        phase_form = PhaseForm()
        phase_form.phase.choices = [
            SelectChoice(p.value, sessions.phase_label(p)) for p in sessions.next_phases(consultation)
        ]
    return render_template(
        "consultations/detail.html",
        consultation=consultation,
        proposals=found,
        rounds=rounds,
        comment_round=shown.round,
        comment_list=shown.html,
        can_moderate=can_moderate,
        can_take_part=True,
        comment_form=render_comment_form(consultation, found, comment_form) if round_open else None,
        empty_form=EmptyForm() if can_moderate else None,
        phase_form=phase_form,
        round_form=(round_form or RoundForm()) if can_moderate else None,
        round_open_form=round_form is not None,
        meeting_form=_meeting_form(consultation, meeting_form) if can_moderate else None,
        meeting_open=meeting_form is not None,
        meeting_attendance=meetings.attendance_by_meeting(db.session, [m.id for m in consultation.meetings]),
        phases=PHASE_ORDER,
        staircases=sessions.staircases_of(db.session, consultation) if consultation.eligibility == Eligibility.BUILDINGS else (),
        effective_phase=consultation.effective_phase,
        round_open=round_open,
        votes=votes_for_consultation(db.session, current_user, consultation) if parts.votes else [],
        surveys=surveys_for_consultation(db.session, current_user, consultation) if parts.surveys else [],
    ), status


@bp.get("/consultations/<int:consultation_id>")
@login_required
def detail(consultation_id: int):
    """A session: background, timeline, proposals, meetings and the round's comments."""
    consultation, parts = session_page_or_404(consultation_id, current_user)
    return render_detail(consultation, reply_to=inputs.id_arg("reply"), report_to=inputs.id_arg("report"), parts=parts)


@bp.post("/consultations/<int:consultation_id>/phase")
@login_required
def move_phase(consultation_id: int):
    """Move the session to a later phase (moderators)."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = PhaseForm()
    form.phase.choices = [SelectChoice(p.value, p.value) for p in PHASE_ORDER]
    if not form.validate_on_submit():
        flash(_("请选择阶段"), "error")
        return redirect(url_for(".detail", consultation_id=consultation.id))
    try:
        sessions.move_phase(db.session, current_user, consultation, form.phase.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".detail", consultation_id=consultation_id))
    db.session.commit()
    flash(_("议事已进入“%(phase)s”阶段", phase=sessions.phase_label(Phase(form.phase.data))))
    return redirect(url_for(".detail", consultation_id=consultation.id))


def _meeting_form(consultation: Consultation, form: MeetingForm | None = None) -> MeetingForm:
    """The joint meeting form, offering the community's rooms of the station to book."""
    form = form or MeetingForm()
    rooms = rooms_of(db.session, consultation.community)
    form.room_id.choices = [SelectChoice("", _("不预约"))] + [
        SelectChoice(str(r.id), _("%(name)s（%(n)d 人）", name=r.name, n=r.capacity)) for r in rooms
    ]
    return form


@bp.post("/consultations/<int:consultation_id>/meetings")
@login_required
def add_meeting(consultation_id: int):
    """Record a joint meeting, booking a room if chosen (moderators); a refused booking saves nothing."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = _meeting_form(consultation)
    if not form.validate_on_submit():
        return render_detail(consultation, 422, meeting_form=form)
    room = None
    if form.room() is not None:
        room = db.session.get(BookingRoom, form.room())
        if room is None or room.community_id != consultation.community_id:
            form.room_id.errors = [*form.room_id.errors, _("请选择本居民区的场地")]
            return render_detail(consultation, 422, meeting_form=form)
    try:
        meeting = sessions.add_meeting(
            db.session,
            current_user,
            consultation,
            to_utc(form.held_at.data),
            form.place.data,
            form.attendees.data,
            form.notes.data,
            room=room,
            ends_at=to_utc(form.ends_at.data),
            attendance=form.attendance.data,
        )
    except DomainError as error:
        db.session.rollback()
        for name, message in error.fields.items():
            target = sessions.BOOKING_FIELDS.get(name, name) if room is not None else name
            if target in form:
                form[target].errors = [*form[target].errors, message]
        flash(error.message, "error")
        return render_detail(consultation, error.status, meeting_form=form)
    db.session.commit()
    flash(_("联席会议已记录，场地已预约") if meeting.booking_id else _("联席会议已记录"))
    return redirect(url_for(".detail", consultation_id=consultation_id) + "#meetings")

