"""Pages of the voting capability: create/open/close, the ballot, paper forms, results, the hall display."""

from __future__ import annotations

import contextlib

import segno
from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from deliberation import audit, charts, documents
from deliberation.accounts import demographics
from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.consultations.access import consultation_or_404
from deliberation.consultations.forms import to_utc
from deliberation.consultations.models import Proposal
from deliberation.db import end_writes, reads_first, utcnow, write_intent
from deliberation.errors import Conflict, DomainError, Invalid
from deliberation.extensions import db
from deliberation.forms import ConfirmForm, show_errors
from deliberation.limits import ballot_limit
from deliberation.pagination import page_number
from deliberation.voting import (
    announcement_pages,
    casting,
    electorate,
    labels,
    lifecycle,
    live,
    paperforms,
    reconcile,
    results,
    telling,
)
from deliberation.voting import paper as paper_forms
from deliberation.voting import receipts as receipt_codes
from deliberation.voting.access import ballot_vote_or_404, paper_vote_or_404, vote_or_404
from deliberation.voting.forms import (
    CaptainForm,
    PaperForm,
    ResolveForm,
    SettleForm,
    VoteForm,
    choice_from_form,
)
from deliberation.voting.models import Vote, VoteState
from deliberation.voting.proxies import detail_context as proxy_context

bp = Blueprint("voting", __name__)

RECEIPT_KEY = "vote_receipts"


@bp.app_context_processor
def _voting_helpers():
    return {"vote_state_label": labels.state_label, "result_stage_label": labels.result_stage_label,
            "preliminary_label": labels.preliminary_label, "objection_kind_label": labels.objection_kind_label}


# -- creating, opening, closing ----------------------------------------------------------------


def _vote_form(consultation) -> VoteForm:
    form = VoteForm()
    proposals = db.session.execute(
        select(Proposal).where(Proposal.consultation_id == consultation.id).order_by(Proposal.id)
    ).scalars().all()
    form.proposal_id.choices = [SelectChoice(p.id, p.title) for p in proposals]
    form.option_proposal_ids.choices = [SelectChoice(p.id, p.title) for p in proposals]
    form.rule_name.choices = [SelectChoice(name, label) for name, label, _text in labels.preset_choices()]
    return form


@bp.route("/consultations/<int:consultation_id>/votes/new", methods=["GET", "POST"])
@login_required
def create(consultation_id: int):
    """Create a vote (moderators): the rule's requirements are shown in plain Chinese before it opens."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = _vote_form(consultation)
    if form.validate_on_submit():
        data = lifecycle.VoteInput(
            title=form.title.data, kind=form.kind.data, proposal_id=form.proposal_id.data,
            option_proposal_ids=form.option_proposal_ids.data or [],
            option_labels=(form.option_labels.data or "").splitlines(), rule_name=form.rule_name.data,
            quorum=form.quorum.data, group=form.group.data, basis=form.basis.data, secret=form.secret.data,
            advisory_all=form.advisory_all.data, show_running=form.show_running.data,
            opens_at=to_utc(form.opens_at.data), closes_at=to_utc(form.closes_at.data),
            objection_days=form.objection_days.data, reminder_days=form.reminder_days.data)
        try:
            vote = lifecycle.create_vote(db.session, current_user, consultation, data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("表决已创建（尚未开启）。请核对通过规则，再开启表决。"))
            return redirect(url_for(".detail", vote_id=vote.id))
    return render_template("voting/form.html", consultation=consultation, form=form,
                           presets=labels.preset_choices()), 422 if form.is_submitted() else 200


@bp.post("/votes/<int:vote_id>/open")
@login_required
def open_vote(vote_id: int):
    """Open the vote now (moderators): the electorate is frozen and recorded."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请重试"), "error")
        return redirect(url_for(".detail", vote_id=vote.id))
    try:
        with audit.refusal_recorded(db.session, current_user, "vote.open_refused", vote):
            lifecycle.open_vote(db.session, current_user, vote)
    except Conflict as error:
        flash(error.message, "error")
        return redirect(url_for(".detail", vote_id=vote_id)), 303
    size = electorate.electorate_size(db.session, vote)
    db.session.commit()
    flash(_("表决已开启，表决权人名册已固定：%(n)d 人", n=size))
    return redirect(url_for(".detail", vote_id=vote_id))


@bp.route("/votes/<int:vote_id>/close", methods=["GET", "POST"])
@login_required
def close_vote(vote_id: int):
    """Close the vote (moderators): a page says what closing does; its confirmed POST computes the
    decision once and stores it. A POST without the confirmation goes back to that page."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST":
            return redirect(url_for(".close_vote", vote_id=vote.id), 303)
        if vote.state != VoteState.OPEN:
            flash(_("表决未在进行中，不能结束"), "error")
            return redirect(url_for(".detail", vote_id=vote.id))
        conflicts = len(paper_forms.open_conflicts(db.session, vote))
        consequences = [_("停止网上投票和征询单录入，任何人都不能再投票或改票"),
                        _("按“%(rule)s”计票，结果保存后不再改变", rule=labels.rule_label(vote))]
        if vote.secret:
            consequences.append(_("无记名表决：断开投票人与选票的联系"))
        if conflicts:
            consequences.append(_("还有 %(n)d 个纸质与网上投票的冲突未处理：这些征询单不计入，已计入的选票照常计入", n=conflicts))
        return render_template("confirm.html", form=form, question=_("确认结束表决“%(title)s”？", title=vote.title),
                               consequences=consequences, confirm_label=_("确认结束表决并计票"),
                               action=url_for(".close_vote", vote_id=vote.id),
                               back=url_for(".detail", vote_id=vote.id), back_label=vote.title)
    lifecycle.close_vote(db.session, current_user, vote)
    db.session.commit()
    live.publish(vote_id)
    flash(_("表决已结束，结果已保存"))
    return redirect(url_for(".result", vote_id=vote_id))


# -- the vote page and the ballot --------------------------------------------------------------


def _receipt_for(vote_id: int) -> str | None:
    receipts = session.get(RECEIPT_KEY) or {}
    code = receipts.pop(str(vote_id), None)
    if code is not None:
        session[RECEIPT_KEY] = receipts
    return code


@bp.get("/votes/<int:vote_id>")
@login_required
def detail(vote_id: int):
    """The vote: what it is about, the rule, the ballot (big buttons), the receipt after casting."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    voter, ballot = casting.my_ballot(db.session, current_user, vote)
    household_voted = ballot is not None and ballot.cast_by_id not in (None, current_user.id)
    can_moderate = vote.can_moderate(current_user)
    conflicts = paper_forms.open_conflicts(db.session, vote) if can_moderate else []
    # A secret vote: turnout while it runs (never a tally), the outcome once closed.
    turnout = results.live_counts(db.session, vote, False) if vote.secret and vote.state == VoteState.OPEN else None
    outcome = (results.outcome(results.report_for(db.session, vote))
               if vote.state == VoteState.CLOSED and vote.can_see_results(current_user) else None)
    size = electorate.electorate_size(db.session, vote) if vote.opened_at else None
    receipt = _receipt_for(vote.id)
    return render_template(
        "voting/detail.html", vote=vote, voter=voter, ballot=ballot, household_voted=household_voted,
        can_moderate=can_moderate, rule_text=labels.rule_text(vote),
        rule_label=labels.rule_label(vote), basis_label=labels.basis_label(vote.basis),
        kind_label=labels.kind_label(vote.kind), receipt=receipt,
        my_choice=labels.describe_choice(vote, ballot.choice) if ballot else None,
        electorate=size, electorate_text=labels.electorate_text(vote),
        minor=casting.is_minor(current_user), conflicts=conflicts, empty_form=EmptyForm(), state=vote.state,
        turnout=turnout, outcome=outcome, announcement=announcement_pages.panel(vote, voter, receipt),
        **proxy_context(db.session, current_user, vote, ballot))


@bp.post("/votes/<int:vote_id>/ballot")
@reads_first  # SQLite's write lock only for the ballot's writes (casting.cast_ballot: db.begin_writes)
@login_required
@ballot_limit
def cast(vote_id: int):
    """Cast or change the ballot; the receipt code is shown once, on the vote page."""
    vote, voter = ballot_vote_or_404(vote_id, current_user)
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请刷新页面后重试"), "error")
        return redirect(url_for(".detail", vote_id=vote_id))
    try:
        with audit.refusal_recorded(db.session, current_user, "ballot.refused", vote):
            result = casting.cast_ballot(db.session, current_user, vote, choice_from_form(vote, request.form), voter)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".detail", vote_id=vote_id)), 303
    telling.voted(db.session, current_user.id, vote_id)
    db.session.commit()
    live.publish(vote_id)
    receipts = session.get(RECEIPT_KEY) or {}
    receipts[str(vote_id)] = result.receipt
    session[RECEIPT_KEY] = receipts
    flash(_("已投票") if result.created else _("已更改您的选票"))
    return redirect(url_for(".detail", vote_id=vote_id))


# -- results and receipts ----------------------------------------------------------------------


def _charts(report: results.VoteReport) -> dict:
    labels = [label for label, _n in report.tally_rows]
    # Bars split each group's ballots; those who did not vote are in the figures, not the bars.
    series = [(label, label) for label in labels]
    ranked = (report.choice_result or {}).get("method") == "schulze"
    drawn = {"tally": charts.bar_chart(report.tally_rows, title=_("第一选择") if ranked else _("计票结果"))}
    drawn["groups"] = []
    for group, rows in report.breakdown.items():
        if rows:
            name = demographics.group_label(group)
            shown = [(demographics.value_label(group, value), counts) for value, counts in rows]
            drawn["groups"].append(
                (name, charts.stacked_chart(shown, title=_("按%(group)s", group=name), series=series)))
    return drawn


@bp.get("/votes/<int:vote_id>/result")
@login_required
def result(vote_id: int):
    """The result with every check explained: required against actual, passed or not, and why."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    report = results.vote_result(db.session, current_user, vote)
    can_moderate = vote.can_moderate(current_user)
    ballots = results.open_ballot_list(db.session, current_user, vote) if vote.can_see_ballots(current_user) else None
    return render_template(
        "voting/result.html", vote=vote, report=report, charts=_charts(report),
        advisory_charts=_charts(report.advisory) if report.advisory else None, ballots=ballots,
        rule_label=labels.rule_label(vote), basis_label=labels.basis_label(vote.basis),
        electorate_text=labels.electorate_text(vote), can_moderate=can_moderate,
        state=vote.state)


@bp.get("/votes/<int:vote_id>/receipts")
@login_required
def receipts(vote_id: int):
    """After the close: every receipt hash with its choice; a voter checks their code here."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    if vote.state != VoteState.CLOSED:
        flash(_("表决结束后才公布回执清单"), "error")
        return redirect(url_for(".detail", vote_id=vote.id))
    code = request.args.get("code", "").strip()
    found = receipt_codes.find_receipt(db.session, vote, code) if code else None
    replaced = reconcile.replaced_receipt(db.session, vote, code) if code and found is None else None
    page = receipt_codes.receipts(db.session, vote, per_page=100, page=page_number())
    return render_template("voting/receipts.html", vote=vote, page=page, code=code, found=found, replaced=replaced,
                           found_choice=labels.describe_choice(vote, found.choice) if found else None,
                           describe=lambda c: labels.describe_choice(vote, c),
                           source_label=labels.source_label)


# -- paper forms, conflicts, reconciliation ----------------------------------------------------


def _parse_lines(text: str) -> list[paper_forms.PaperEntry]:
    entries = []
    for number, line in enumerate((text or "").splitlines(), start=1):
        parts = line.replace("，", " ").replace("\t", " ").split()
        if not parts:
            continue
        entries.append(paper_forms.PaperEntry(room=parts[0], choice=parts[1] if len(parts) > 1 else "",
                                           name=" ".join(parts[2:]), line=number))
    return entries


@bp.route("/votes/<int:vote_id>/paper", methods=["GET", "POST"])
@reads_first  # SQLite's write lock only for the forms' writes (paper.enter_paper_ballots: db.begin_writes)
@login_required
def paper(vote_id: int):
    """Enter paper forms (征询单) by building and room, many per submit, straight from the keyboard."""
    vote = lifecycle.catch_up(db.session, paper_vote_or_404(vote_id, current_user))
    buildings = paper_forms.paper_buildings(db.session, current_user, vote)
    form = PaperForm()
    form.building_id.choices = [SelectChoice(b.id, b.name) for b in buildings]
    outcomes = []
    status = 200
    if form.validate_on_submit():
        building = paper_forms.entry_building(db.session, vote, form.building_id.data)
        try:
            with audit.refusal_recorded(db.session, current_user, "ballot.paper_refused", vote):
                outcomes = paper_forms.enter_paper_ballots(db.session, current_user, vote, building,
                                                           _parse_lines(form.lines.data))
        except DomainError as error:
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            end_writes()  # the page below only reads
            live.publish(vote_id)
            recorded = sum(o.status == "recorded" for o in outcomes)
            flash(_("已录入 %(n)d 张征询单", n=recorded))
            # Keep only the lines that still need attention in the box, so they can be fixed and sent again.
            failed = {o.line for o in outcomes if o.status == "error"}
            form.lines.data = "\n".join(line for n, line in enumerate(form.lines.data.splitlines(), start=1)
                                        if n in failed)
    elif form.is_submitted():
        status = 422
    can_moderate = vote.can_moderate(current_user)
    conflicts = paper_forms.open_conflicts(db.session, vote) if can_moderate else []
    return render_template(
        "voting/paper.html", vote=vote, form=form, outcomes=outcomes,
        conflicts=reconcile.conflict_views(db.session, vote, conflicts), buildings=buildings,
        resolve_form=ResolveForm(), can_moderate=can_moderate, state=vote.state,
        describe=lambda c: labels.describe_choice(vote, c), source_label=labels.source_label,
        options=vote.options), status


@bp.get("/votes/<int:vote_id>/paper-forms.pdf")
@login_required
def paper_forms_pdf(vote_id: int):
    """Printable paper forms (A4, one page per unit): ?building=ID (every unit), &room=302 (one), or ?blank=1."""
    vote = lifecycle.catch_up(db.session, paper_vote_or_404(vote_id, current_user))
    wanted = request.args.get("building", "")
    room = request.args.get("room", "").strip() or None
    blank = request.args.get("blank") == "1"
    if not blank and not wanted.isdigit():
        flash(_("请选择楼栋"), "error")
        return redirect(url_for(".paper", vote_id=vote.id))
    try:
        forms = paperforms.paper_forms(db.session, current_user, vote, blank=blank,
                                       building_id=int(wanted) if wanted.isdigit() else None, room=room)
    except (Conflict, Invalid) as error:
        flash(error.message, "error")
        return redirect(url_for(".paper", vote_id=vote.id))
    link = url_for(".detail", vote_id=vote.id, _external=True)
    qr = paperforms.qr_svg(link)
    html = render_template("voting/paper_forms.html", vote=vote, forms=forms, qr=qr,
                           rule_text=labels.rule_text(vote), proposal_title=paperforms.proposal_title(db.session, vote),
                           receipts_link=url_for(".receipts", vote_id=vote.id, _external=True))
    pdf = documents.render_pdf(html, base_url=request.url_root)
    which = _("空白") if not forms.sheets[0].unit_label else (
        forms.sheets[0].unit_label if len(forms.sheets) == 1 else forms.sheets[0].building)
    return documents.download(pdf, f"{vote.title}-征询单-{which}.pdf", documents.PDF_TYPE, inline=True)


@bp.post("/votes/<int:vote_id>/conflicts/settle")
@login_required
def settle(vote_id: int):
    """Settle the conflicts ticked on the paper page at once: keep the ballots counted, or count the forms."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    form = SettleForm()
    ids = [int(v) for v in request.form.getlist("conflict_ids") if v.isdigit()]
    if not form.validate_on_submit():
        audit.record_apart(db.session, current_user, "ballot.conflict_refused", vote, status=422,
                           reason=_("请选择处理方式"))
        flash(_("请选择处理方式"), "error")
        return redirect(url_for(".paper", vote_id=vote.id) + "#conflicts")
    try:
        with audit.refusal_recorded(db.session, current_user, "ballot.conflict_refused", vote):
            outcomes = reconcile.settle_conflicts(db.session, current_user, vote, ids, form.resolution.data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".paper", vote_id=vote.id) + "#conflicts")
    db.session.commit()
    live.publish(vote_id)
    settled = sum(o.status == "settled" for o in outcomes)
    flash(_("已处理 %(n)d 个冲突", n=settled))
    for outcome in outcomes:
        if outcome.status != "settled":
            flash(outcome.message, "error")
    return redirect(url_for(".paper", vote_id=vote.id) + "#conflicts")


@bp.post("/votes/<int:vote_id>/conflicts/<int:conflict_id>")
@login_required
def resolve(vote_id: int, conflict_id: int):
    """Settle a conflict between a paper form and a ballot already counted (moderators)."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    paper_forms.conflict_of(db.session, vote, conflict_id)
    form = ResolveForm()
    if not form.validate_on_submit():
        flash(_("请选择处理方式"), "error")
        return redirect(url_for(".paper", vote_id=vote.id))
    paper_forms.resolve_conflict(db.session, current_user, vote, conflict_id, form.resolution.data)
    db.session.commit()
    live.publish(vote_id)
    flash(_("冲突已处理"))
    return redirect(url_for(".paper", vote_id=vote_id))


def _followup(vote_id: int, per_page: int, page: int | None):
    """The follow-up list as asked: the building (a floor captain's own only) and staircase chosen."""
    vote = lifecycle.catch_up(db.session, paper_vote_or_404(vote_id, current_user))
    buildings = paper_forms.paper_buildings(db.session, current_user, vote)
    wanted = request.args.get("building", "")
    building_id = paper_forms.followup_building(current_user, vote, buildings, int(wanted) if wanted.isdigit() else None)
    staircases = paper_forms.followup_staircases(db.session, vote, building_id)
    staircase = request.args.get("staircase", "").strip()
    staircase = staircase if staircase in staircases else ""
    found = paper_forms.unanswered_units(db.session, vote, building_id=building_id, per_page=per_page, page=page,
                                         staircase=staircase or None)
    return dict(vote=vote, page=found, buildings=buildings, building_id=building_id, staircases=staircases,
                staircase=staircase, building_name=next((b.name for b in buildings if b.id == building_id), ""),
                state=vote.state)


@bp.get("/votes/<int:vote_id>/unanswered")
@login_required
def unanswered(vote_id: int):
    """Units that have not answered yet, by building and staircase: the list for door-to-door follow-up."""
    return render_template("voting/unanswered.html", **_followup(vote_id, 50, page_number()))


FOLLOWUP_PRINT_LIMIT = 5000


@bp.get("/votes/<int:vote_id>/unanswered/print")
@login_required
def unanswered_print(vote_id: int):
    """The follow-up list on A4 for the floor captain's round: every unit still to visit, one table."""
    return render_template("voting/unanswered_print.html", printed_at=utcnow(),
                           **_followup(vote_id, FOLLOWUP_PRINT_LIMIT, 1))


# -- the hall display (现场大屏) ----------------------------------------------------------------


@bp.get("/votes/<int:vote_id>/hall")
@login_required
def hall(vote_id: int):
    """Full screen for a projector: live turnout (and results once allowed), a QR code to vote; after the
    close the result in its place. A secret vote shows turnout alone until the close."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    link = url_for(".detail", vote_id=vote.id, _external=True)
    figures = results.live_counts(db.session, vote, vote.results_public)
    qr = None
    if figures["state"] != VoteState.CLOSED:  # once closed the result takes the QR code's place
        qr = Markup(segno.make(link, error="m").svg_inline(  # noqa: S704 -- SVG drawn by segno from our own URL
            scale=8, border=2, omitsize=True, title=_("扫码投票")))
    return render_template("voting/hall.html", vote=vote, qr=qr, link=link, figures=figures)


@bp.get("/votes/<int:vote_id>/live")
@login_required
def live_stream(vote_id: int):
    """Server-sent events with the hall display's figures, within a second or two of each ballot.

    The stream runs after the request has ended: it holds its own app context, a fixed locale and
    read-only transactions, and touches nothing of the request (the user was checked above).
    """
    vote_id = vote_or_404(vote_id, current_user).id
    app = current_app._get_current_object()
    locale = str(get_locale() or "zh_Hans")
    db.session.rollback()

    def figures() -> dict:
        try:
            fresh = db.session.get(Vote, vote_id, populate_existing=True)
            return results.live_counts(db.session, fresh, fresh.results_public)
        finally:
            db.session.rollback()  # no snapshot or lock held between two reads

    def generate():
        with app.app_context(), force_locale(locale):
            token = write_intent.set(False)
            try:
                yield from live.stream(vote_id, figures)
            finally:
                with contextlib.suppress(ValueError):  # closed from another context: nothing to undo
                    write_intent.reset(token)

    return Response(generate(), mimetype="text/event-stream",
                    headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})


# -- floor captains (楼组长) ---------------------------------------------------------------------


@bp.route("/communities/<int:community_id>/floor-captains", methods=["GET", "POST"])
@login_required
def captains(community_id: int):
    """Grant a building's floor captain (moderators): they may enter that building's paper forms."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = CaptainForm()
    form.building_id.choices = [SelectChoice(b.id, b.name) for b in community.buildings]
    status = 200
    if form.validate_on_submit():
        try:
            paper_forms.grant_captain(db.session, current_user, community, form.username.data, form.building_id.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = 422
        else:
            db.session.commit()
            flash(_("已任命楼组长"))
            return redirect(url_for(".captains", community_id=community.id))
    elif form.is_submitted():
        status = 422
    return render_template("voting/captains.html", community=community, form=form,
                           captains=paper_forms.captains_of(db.session, community), empty_form=EmptyForm()), status


@bp.post("/communities/<int:community_id>/floor-captains/<int:captain_id>/revoke")
@login_required
def revoke_captain(community_id: int, captain_id: int):
    """Take a floor captain's role back (moderators)."""
    community = community_or_404(community_id, current_user, moderate=True)
    if EmptyForm().validate_on_submit():
        paper_forms.revoke_captain(db.session, current_user, community, captain_id)
        db.session.commit()
        flash(_("已撤销楼组长"))
    return redirect(url_for(".captains", community_id=community.id))
