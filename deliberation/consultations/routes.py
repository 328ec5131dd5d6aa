"""Pages: sessions, proposals and versions, comment rounds, moderation, the wish wall, notifications."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import func, select
from wtforms.fields.choices import SelectChoice

from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.accounts.models import Community
from deliberation.booking import rooms as booking_services
from deliberation.booking.models import Room as BookingRoom
from deliberation.consultations import pictures as picture_files
from deliberation.consultations import services
from deliberation.consultations.access import (
    comment_or_404,
    consultation_or_404,
    idea_or_404,
    picture_or_404,
    proposal_or_404,
)
from deliberation.consultations.eligibility import visible_clause
from deliberation.consultations.forms import (
    AnswerForm,
    BlockedWordForm,
    CommentForm,
    ConsultationForm,
    IdeaForm,
    MeetingForm,
    MergeForm,
    PhaseForm,
    PromoteForm,
    ProposalForm,
    ReasonForm,
    ReplyForm,
    RoundForm,
    VersionForm,
    to_local,
    to_utc,
)
from deliberation.consultations.models import (
    PHASE_ORDER,
    BlockedWord,
    CommentRound,
    Consultation,
    Idea,
    IdeaStatus,
    IdeaSupport,
    Notification,
    Phase,
    Proposal,
    RoundState,
)
from deliberation.errors import DomainError, NotFound
from deliberation.extensions import db
from deliberation.forms import error_summary, show_errors
from deliberation.limits import comment_limit
from deliberation.pagination import page_number, paginate
from deliberation.surveys.lists import surveys_for_consultation
from deliberation.voting.services import votes_for_consultation

bp = Blueprint("consultations", __name__)


@bp.app_context_processor
def _consultation_helpers():
    return {"phase_label": services.phase_label, "eligibility_label": services.eligibility_label}


def _uploads(field) -> list[tuple[bytes, str]]:
    """The files of a multiple-file field, read up to the size limit plus one byte (so it can be refused)."""
    files = field.data or []
    return [
        (f.read(picture_files.MAX_BYTES + 1), f.filename or "") for f in files if getattr(f, "filename", "")
    ]


# -- sessions ----------------------------------------------------------------------------------


@bp.get("/communities/<int:community_id>/consultations")
@login_required
def index(community_id: int):
    """The community's sessions the user may see, newest first."""
    community = community_or_404(community_id, current_user)
    stmt = (
        select(Consultation)
        .where(
            Consultation.community_id == community.id, visible_clause(db.session, current_user, community.id)
        )
        .order_by(Consultation.created_at.desc(), Consultation.id.desc())
    )
    page = paginate(db.session, stmt, per_page=20)
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
        for building_id, name, staircase in services.staircase_choices(db.session, community.id)
    ]
    if consultation is not None and request.method == "GET":
        form.eligibility.data = consultation.eligibility.value
        form.building_ids.data = [b.id for b in consultation.buildings]
        form.staircases.data = [f"{b}:{st}" for b, _name, st in services.staircases_of(db.session, consultation)]
        form.person_ids.data = ", ".join(str(p.id) for p in consultation.persons)
        for name in ("commenting_at", "voting_at", "closes_at"):
            form[name].data = to_local(getattr(consultation, name))
    return form


def _consultation_input(form: ConsultationForm) -> services.ConsultationInput:
    return services.ConsultationInput(
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
            consultation = services.create_consultation(
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
            services.update_consultation(db.session, current_user, consultation, _consultation_input(form))
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


def _render_detail(
    consultation: Consultation,
    status: int = 200,
    comment_form: CommentForm | None = None,
    reply_to: int | None = None,
    reply_form: ReplyForm | None = None,
    meeting_form: MeetingForm | None = None,
    report_to: int | None = None,
):
    """The session page; forms that failed come back with their errors and what was typed.

    Every caller loaded the session through consultation_or_404, which asked can_view already, and
    taking part is viewing (Consultation.can_take_part): the eligibility is not computed twice.
    The reply and report forms are written out for the one comment chosen (reply_to, report_to).
    """
    proposals = services.proposals_of(db.session, consultation)
    rounds = consultation.rounds
    wanted = request.args.get("round", "")
    selected = next((r for r in rounds if str(r.number) == wanted), None)
    listing = services.list_comments(
        db.session,
        current_user,
        consultation,
        round_=selected,
        sort=request.args.get("sort", "supported"),
        page=page_number(),
    )
    can_moderate = consultation.can_moderate(current_user)
    comment_form = comment_form or CommentForm()
    comment_form.proposal_id.choices = [SelectChoice("", _("整个议事"))] + [
        SelectChoice(str(p.id), p.title) for p in proposals
    ]
    # This page of comments, for the links that choose the comment to reply to or to report.
    comment_link = url_for(
        ".detail",
        consultation_id=consultation.id,
        round=listing.round.number if listing.round else None,
        sort=listing.sort,
        page=listing.page.number if listing.page.number > 1 else None,
    )
    phase_form = PhaseForm()
    phase_form.phase.choices = [
        SelectChoice(p.value, services.phase_label(p)) for p in services.next_phases(consultation)
    ]
    return render_template(
        "consultations/detail.html",
        consultation=consultation,
        proposals=proposals,
        rounds=rounds,
        listing=listing,
        can_moderate=can_moderate,
        can_take_part=True,
        comment_form=comment_form,
        reply_form=reply_form or ReplyForm(),
        reply_to=reply_to,
        report_to=report_to,
        comment_link=comment_link,
        comment_sep="&" if "?" in comment_link else "?",
        reason_form=ReasonForm(),
        empty_form=EmptyForm(),
        phase_form=phase_form,
        round_form=RoundForm(),
        meeting_form=_meeting_form(consultation, meeting_form) if can_moderate else None,
        meeting_open=meeting_form is not None,
        phases=PHASE_ORDER,
        staircases=services.staircases_of(db.session, consultation),
        effective_phase=consultation.effective_phase,
        round_open=listing.round is not None and listing.round.state == RoundState.OPEN,
        votes=votes_for_consultation(db.session, current_user, consultation),
        surveys=surveys_for_consultation(db.session, current_user, consultation),
    ), status


@bp.get("/consultations/<int:consultation_id>")
@login_required
def detail(consultation_id: int):
    """A session: background, timeline, proposals, meetings and the round's comments."""
    consultation = consultation_or_404(consultation_id, current_user)
    return _render_detail(
        consultation,
        reply_to=request.args.get("reply", type=int),
        report_to=request.args.get("report", type=int),
    )


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
        services.move_phase(db.session, current_user, consultation, form.phase.data)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".detail", consultation_id=consultation_id))
    db.session.commit()
    flash(_("议事已进入“%(phase)s”阶段", phase=services.phase_label(Phase(form.phase.data))))
    return redirect(url_for(".detail", consultation_id=consultation.id))


@bp.post("/consultations/<int:consultation_id>/rounds")
@login_required
def open_round(consultation_id: int):
    """Open a new comment round (moderators)."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = RoundForm()
    if form.validate_on_submit():
        try:
            round_ = services.open_round(
                db.session,
                current_user,
                consultation,
                to_utc(form.closes_at.data),
                to_utc(form.opens_at.data),
            )
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("第 %(n)d 轮意见征集已开设", n=round_.number))
    else:
        flash(error_summary(form), "error")
    return redirect(url_for(".detail", consultation_id=consultation_id) + "#rounds")


@bp.post("/rounds/<int:round_id>/close")
@login_required
def close_round(round_id: int):
    """End a round now (moderators)."""
    round_ = db.session.get(CommentRound, round_id)
    if round_ is None:
        raise NotFound(_("找不到该轮次"))
    consultation_or_404(round_.consultation_id, current_user, moderate=True)
    if EmptyForm().validate_on_submit():
        services.close_round(db.session, current_user, round_)
        db.session.commit()
        flash(_("第 %(n)d 轮意见征集已结束", n=round_.number))
    return redirect(url_for(".detail", consultation_id=round_.consultation_id) + "#rounds")


def _meeting_form(consultation: Consultation, form: MeetingForm | None = None) -> MeetingForm:
    """The joint meeting form, offering the community's rooms of the station to book."""
    form = form or MeetingForm()
    rooms = booking_services.rooms_of(db.session, consultation.community)
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
        return _render_detail(consultation, 422, meeting_form=form)
    room = None
    if form.room() is not None:
        room = db.session.get(BookingRoom, form.room())
        if room is None or room.community_id != consultation.community_id:
            form.room_id.errors = [*form.room_id.errors, _("请选择本居民区的场地")]
            return _render_detail(consultation, 422, meeting_form=form)
    try:
        meeting = services.add_meeting(
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
            target = services.BOOKING_FIELDS.get(name, name) if room is not None else name
            if target in form:
                form[target].errors = [*form[target].errors, message]
        flash(error.message, "error")
        return _render_detail(consultation, error.status, meeting_form=form)
    db.session.commit()
    flash(_("联席会议已记录，场地已预约") if meeting.booking_id else _("联席会议已记录"))
    return redirect(url_for(".detail", consultation_id=consultation_id) + "#meetings")


# -- proposals ---------------------------------------------------------------------------------


@bp.route("/consultations/<int:consultation_id>/proposals/new", methods=["GET", "POST"])
@login_required
def create_proposal(consultation_id: int):
    """Add a proposal with its pictures (moderators)."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = ProposalForm()
    if form.validate_on_submit():
        try:
            proposal = services.create_proposal(
                db.session,
                current_user,
                consultation,
                form.title.data,
                form.body.data,
                is_variant=form.is_variant.data,
                pictures=_uploads(form.pictures),
            )
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("方案已发布"))
            return redirect(url_for(".proposal", proposal_id=proposal.id))
    return render_template(
        "consultations/proposal_form.html", consultation=consultation, form=form, proposal=None
    ), 422 if form.is_submitted() else 200


@bp.route("/proposals/<int:proposal_id>/versions/new", methods=["GET", "POST"])
@login_required
def new_version(proposal_id: int):
    """Publish a revised version of a proposal; the earlier ones stay (moderators)."""
    proposal = proposal_or_404(proposal_id, current_user, moderate=True)
    current = proposal.current_version
    form = (
        VersionForm(data={"title": current.title, "body": current.body_markdown})
        if request.method == "GET"
        else VersionForm()
    )
    form.drop_pictures.choices = [
        SelectChoice(p.id, p.original_name or _("图片 %(n)d", n=i)) for i, p in enumerate(current.pictures, 1)
    ]
    if form.validate_on_submit():
        try:
            version = services.add_version(
                db.session,
                current_user,
                proposal,
                form.title.data,
                form.body.data,
                form.change_note.data,
                pictures=_uploads(form.pictures),
                drop_picture_ids=form.drop_pictures.data or [],
            )
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("已发布第 %(n)d 版", n=version.number))
            return redirect(url_for(".proposal", proposal_id=proposal.id, diff=version.number))
    return render_template(
        "consultations/proposal_form.html", consultation=proposal.consultation, form=form, proposal=proposal
    ), 422 if form.is_submitted() else 200


@bp.get("/proposals/<int:proposal_id>")
@login_required
def proposal(proposal_id: int):
    """A proposal: the chosen version (the current one by default), its history and a difference."""
    found = proposal_or_404(proposal_id, current_user)
    number = request.args.get("version", type=int) or found.current_version.number
    version = found.version(number)
    if version is None:
        raise NotFound(_("找不到该版本"))
    diff_number = request.args.get("diff", type=int)
    diff = services.version_diff(found, diff_number) if diff_number else None
    return render_template(
        "consultations/proposal.html",
        proposal=found,
        consultation=found.consultation,
        version=version,
        diff=diff,
        can_moderate=found.consultation.can_moderate(current_user),
    )


@bp.get("/pictures/<int:picture_id>")
@login_required
def picture(picture_id: int):
    """A proposal's picture, only for those who may see its session."""
    found = picture_or_404(picture_id, current_user)
    path = picture_files.path_of(found.stored_name)
    if not path.is_file():
        raise NotFound(_("找不到该图片"))
    # Read whole: pictures are re-encoded to at most 1600 px wide, and no file handle outlives the request.
    response = Response(path.read_bytes(), mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


# -- comments ----------------------------------------------------------------------------------


@bp.post("/consultations/<int:consultation_id>/comments")
@login_required
@comment_limit
def post_comment(consultation_id: int):
    """Post a comment in the open round."""
    consultation = consultation_or_404(consultation_id, current_user)
    form = CommentForm()
    form.proposal_id.choices = []
    if not form.validate_on_submit():
        return _render_detail(consultation, 422, comment_form=form)
    proposal_id = int(form.proposal_id.data) if (form.proposal_id.data or "").isdigit() else None
    try:
        comment = services.post_comment(
            db.session, current_user, consultation, form.body.data, proposal_id=proposal_id
        )
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _render_detail(consultation, error.status, comment_form=form)
    db.session.commit()
    flash(_("意见已提交，等待主持人审核后公开") if comment.status == "pending" else _("意见已发布"))
    return redirect(
        url_for(".detail", consultation_id=consultation.id, sort="newest") + f"#comment-{comment.id}"
    )


@bp.post("/comments/<int:comment_id>/replies")
@login_required
@comment_limit
def reply(comment_id: int):
    """Reply to a comment; a moderator may mark the reply as the official answer."""
    parent = comment_or_404(comment_id, current_user)
    consultation = parent.consultation
    form = ReplyForm()
    if not form.validate_on_submit():
        return _render_detail(consultation, 422, reply_to=parent.id, reply_form=form)
    try:
        comment = services.post_comment(
            db.session,
            current_user,
            consultation,
            form.body.data,
            parent_id=parent.id,
            official_answer=bool(form.official.data),
        )
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _render_detail(consultation, error.status, reply_to=parent.id, reply_form=form)
    db.session.commit()
    flash(_("回复已提交，等待主持人审核后公开") if comment.status == "pending" else _("回复已发布"))
    return redirect(
        url_for(".detail", consultation_id=consultation.id, round=parent.round.number)
        + f"#comment-{comment.id}"
    )


def _back_to(comment) -> str:
    return (
        url_for(
            ".detail",
            consultation_id=comment.consultation_id,
            round=comment.round.number,
            sort=request.form.get("sort") or None,
        )
        + f"#comment-{comment.thread_id or comment.id}"
    )


def _comment_action(
    comment_id: int, action, message: str, *, moderate: bool = False, with_reason: bool = False
):
    """Load, check the form, call the service, commit once, and go back to the comment."""
    comment = comment_or_404(comment_id, current_user, moderate=moderate)
    form = ReasonForm() if with_reason else EmptyForm()
    if not form.validate_on_submit():
        flash(_("请填写理由") if with_reason else _("请求有误，请重试"), "error")
        return redirect(_back_to(comment))
    try:
        action(comment, form.reason.data) if with_reason else action(comment)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(_back_to(comment))
    db.session.commit()
    flash(message)
    target = request.form.get("next")
    if target == "moderation":
        return redirect(url_for(".moderation", community_id=comment.consultation.community_id))
    return redirect(_back_to(comment))


@bp.post("/comments/<int:comment_id>/support")
@login_required
def support(comment_id: int):
    """Support a comment, or withdraw the support."""
    if request.form.get("action") == "withdraw":
        return _comment_action(
            comment_id, lambda c: services.withdraw_support(db.session, current_user, c), _("已取消支持")
        )
    return _comment_action(
        comment_id, lambda c: services.support_comment(db.session, current_user, c), _("已支持这条意见")
    )


@bp.post("/comments/<int:comment_id>/report")
@login_required
def report(comment_id: int):
    """Report a comment to the moderators."""
    return _comment_action(
        comment_id,
        lambda c, r: services.report_comment(db.session, current_user, c, r),
        _("已举报，主持人会尽快处理"),
        with_reason=True,
    )


@bp.post("/comments/<int:comment_id>/hide")
@login_required
def hide(comment_id: int):
    """Hide a comment with a reason (moderators)."""
    return _comment_action(
        comment_id,
        lambda c, r: services.hide_comment(db.session, current_user, c, r),
        _("意见已隐藏，已通知作者"),
        moderate=True,
        with_reason=True,
    )


@bp.post("/comments/<int:comment_id>/restore")
@login_required
def restore(comment_id: int):
    """Publish a hidden or pending comment (moderators)."""
    return _comment_action(
        comment_id,
        lambda c: services.restore_comment(db.session, current_user, c),
        _("意见已公开"),
        moderate=True,
    )


@bp.post("/comments/<int:comment_id>/dismiss")
@login_required
def dismiss(comment_id: int):
    """Keep a reported comment and close its reports (moderators)."""
    return _comment_action(
        comment_id,
        lambda c: services.dismiss_reports(db.session, current_user, c),
        _("已保留这条意见"),
        moderate=True,
    )


@bp.get("/communities/<int:community_id>/moderation")
@login_required
def moderation(community_id: int):
    """The moderation queue: pending and reported comments; and the blocked words."""
    community = community_or_404(community_id, current_user, moderate=True)
    page = services.moderation_queue(db.session, current_user, community, page=page_number())
    reports = services.reports_of(db.session, [comment.id for comment, _count in page.items])
    words = (
        db.session.execute(
            select(BlockedWord).where(BlockedWord.community_id == community.id).order_by(BlockedWord.word)
        )
        .scalars()
        .all()
    )
    return render_template(
        "consultations/moderation.html",
        community=community,
        page=page,
        reports=reports,
        words=words,
        word_form=BlockedWordForm(),
        reason_form=ReasonForm(),
        empty_form=EmptyForm(),
    )


@bp.post("/communities/<int:community_id>/blocked-words")
@login_required
def add_blocked_word(community_id: int):
    """Add a blocked word (moderators)."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = BlockedWordForm()
    if form.validate_on_submit():
        try:
            services.add_blocked_word(db.session, current_user, community, form.word.data)
        except DomainError as error:
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("已添加屏蔽词"))
    else:
        flash(_("请填写屏蔽词"), "error")
    return redirect(url_for(".moderation", community_id=community.id) + "#words")


@bp.post("/communities/<int:community_id>/blocked-words/<int:word_id>/delete")
@login_required
def remove_blocked_word(community_id: int, word_id: int):
    """Remove a blocked word (moderators)."""
    community = community_or_404(community_id, current_user, moderate=True)
    if EmptyForm().validate_on_submit():
        services.remove_blocked_word(db.session, current_user, community, word_id)
        db.session.commit()
        flash(_("已删除屏蔽词"))
    return redirect(url_for(".moderation", community_id=community.id) + "#words")


# -- wish wall ---------------------------------------------------------------------------------


@bp.route("/communities/<int:community_id>/ideas", methods=["GET", "POST"])
@login_required
def ideas(community_id: int):
    """The wish wall (微心愿): post an idea, see and support the others'."""
    community = community_or_404(community_id, current_user)
    form = IdeaForm()
    status = 200
    if form.validate_on_submit():
        try:
            idea = services.post_idea(db.session, current_user, community, form.title.data, form.body.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("心愿已发布"))
            return redirect(url_for(".idea", idea_id=idea.id))
    elif form.is_submitted():
        status = 422
    sort = request.args.get("sort", "supported")
    page = services.list_ideas(db.session, community, sort=sort, page=page_number())
    ids = [i.id for i in page.items]
    supported = (
        set(
            db.session.execute(
                select(IdeaSupport.idea_id).where(
                    IdeaSupport.user_id == current_user.id, IdeaSupport.idea_id.in_(ids)
                )
            ).scalars()
        )
        if ids
        else set()
    )
    return render_template(
        "consultations/ideas.html",
        community=community,
        page=page,
        form=form,
        sort=sort,
        supported=supported,
        empty_form=EmptyForm(),
    ), status


@bp.get("/ideas/<int:idea_id>")
@login_required
def idea(idea_id: int):
    """One idea with its answer, and the moderator's answer, merge and promote forms."""
    found = idea_or_404(idea_id, current_user)
    can_moderate = found.community.can_moderate(current_user)
    promote_form = PromoteForm()
    if can_moderate:
        open_sessions = db.session.execute(
            select(Consultation)
            .where(
                Consultation.community_id == found.community_id,
                Consultation.phase.in_([Phase.DRAFT, Phase.COMMENTING]),
            )
            .order_by(Consultation.id.desc())
        ).scalars()
        promote_form.consultation_id.choices = [SelectChoice(c.id, c.title) for c in open_sessions]
    merged = db.session.execute(select(Idea).where(Idea.merged_into_id == found.id)).scalars().all()
    supported = db.session.execute(
        select(func.count(IdeaSupport.id)).where(
            IdeaSupport.idea_id == found.id, IdeaSupport.user_id == current_user.id
        )
    ).scalar()
    return render_template(
        "consultations/idea.html",
        idea=found,
        community=found.community,
        can_moderate=can_moderate,
        answer_form=AnswerForm(obj=found),
        merge_form=MergeForm(),
        promote_form=promote_form,
        merged=merged,
        supported=bool(supported),
        empty_form=EmptyForm(),
        statuses=IdeaStatus,
    )


def _idea_action(idea_id: int, form_class, action, message: str, moderate: bool = False):
    found = idea_or_404(idea_id, current_user, moderate=moderate)
    form = form_class()
    if form_class is PromoteForm:
        form.consultation_id.choices = []
    if not form.validate_on_submit():
        flash(error_summary(form) or _("请求有误，请重试"), "error")
        return redirect(url_for(".idea", idea_id=found.id))
    try:
        result = action(found, form)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".idea", idea_id=found.id))
    db.session.commit()
    flash(message)
    if isinstance(result, Proposal):
        return redirect(url_for(".proposal", proposal_id=result.id))
    return redirect(
        request.form.get("next") == "wall"
        and url_for(".ideas", community_id=found.community_id)
        or url_for(".idea", idea_id=found.id)
    )


@bp.post("/ideas/<int:idea_id>/support")
@login_required
def support_idea(idea_id: int):
    """Support an idea, or withdraw the support."""
    if request.form.get("action") == "withdraw":
        return _idea_action(
            idea_id,
            EmptyForm,
            lambda i, f: services.withdraw_idea_support(db.session, current_user, i),
            _("已取消支持"),
        )
    return _idea_action(
        idea_id,
        EmptyForm,
        lambda i, f: services.support_idea(db.session, current_user, i),
        _("已支持这条心愿"),
    )


@bp.post("/ideas/<int:idea_id>/answer")
@login_required
def answer_idea(idea_id: int):
    """Answer an idea on the wall (moderators)."""
    return _idea_action(
        idea_id,
        AnswerForm,
        lambda i, f: services.answer_idea(db.session, current_user, i, f.answer.data),
        _("答复已发布"),
        moderate=True,
    )


@bp.post("/ideas/<int:idea_id>/merge")
@login_required
def merge_idea(idea_id: int):
    """Merge a duplicate idea into another (moderators)."""
    return _idea_action(
        idea_id,
        MergeForm,
        lambda i, f: services.merge_idea(db.session, current_user, i, f.target_id.data),
        _("已合并"),
        moderate=True,
    )


@bp.post("/ideas/<int:idea_id>/promote")
@login_required
def promote_idea(idea_id: int):
    """Turn an idea into a proposal of a session (moderators)."""

    def action(found, form):
        consultation = consultation_or_404(form.consultation_id.data or 0, current_user, moderate=True)
        return services.promote_idea(db.session, current_user, found, consultation, form.is_variant.data)

    return _idea_action(idea_id, PromoteForm, action, _("已转为方案"), moderate=True)


# -- notifications -----------------------------------------------------------------------------


@bp.get("/notifications")
@login_required
def notifications():
    """The user's notifications, newest first."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == current_user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    page = paginate(db.session, stmt, per_page=30)
    return render_template(
        "consultations/notifications.html",
        page=page,
        empty_form=EmptyForm(),
        unread=services.unread_count(db.session, current_user),
    )


@bp.post("/notifications/read")
@login_required
def read_notifications():
    """Mark every notification read."""
    if EmptyForm().validate_on_submit():
        services.mark_notifications_read(db.session, current_user)
        db.session.commit()
    return redirect(url_for(".notifications"))
