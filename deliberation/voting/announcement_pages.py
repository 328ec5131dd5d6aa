"""Pages of the result's posting and announcement: objections to a preliminary result (lodged by members of the
frozen electorate, answered by a moderator with a recount where accepted), and the announcement behind a
confirmation page. The vote page shows the panel (``panel``) drawn by voting/_announcement.html.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberation import audit
from deliberation.errors import DomainError
from deliberation.extensions import db
from deliberation.formatting import format_datetime
from deliberation.forms import ConfirmForm, show_errors
from deliberation.pagination import page_number, paginate
from deliberation.voting import announcement, labels, lifecycle, live, objections
from deliberation.voting.access import vote_or_404
from deliberation.voting.electorate import voter_for
from deliberation.voting.forms import ObjectionAnswerForm, ResultObjectionForm
from deliberation.voting.models import Vote, VoteObjection, VoteVoter

bp = Blueprint("announcement", __name__)


@dataclass
class Panel:
    """What the vote page shows of the posted result: the window, the objection form, one's own objections,
    and for moderators what waits for them."""

    preliminary: str = ""
    stage: str = ""
    can_object: bool = False
    form: ResultObjectionForm | None = None
    receipts_link: str = ""
    mine: list[VoteObjection] = field(default_factory=list)
    unanswered: int = 0
    due: bool = False


def panel(vote: Vote, voter: VoteVoter | None, receipt: str | None = None,
          form: ResultObjectionForm | None = None) -> Panel | None:
    """The panel of a closed vote for the current user (None before the close). ``receipt``: the receipt code
    still held for the voter, which the receipt check's link carries."""
    if vote.closed_at is None:
        return None
    moderator = vote.can_moderate(current_user)
    can_object = vote.can_object(current_user, announcement.RESULT, voter) and vote.objections_open(
        announcement.RESULT)
    return Panel(
        preliminary=labels.preliminary_label(vote), stage=labels.result_stage_label(vote), can_object=can_object,
        form=(form or ResultObjectionForm()) if can_object else None,
        receipts_link=url_for("voting.receipts", vote_id=vote.id, code=receipt or None),
        mine=[] if moderator else objections.listing(db.session, current_user, vote, announcement.RESULT),
        unanswered=objections.unanswered(db.session, vote, announcement.RESULT) if moderator else 0,
        due=moderator and announcement.due(vote))


@bp.route("/votes/<int:vote_id>/result-objections", methods=["GET", "POST"])
@login_required
def objections_page(vote_id: int):
    """The result objections (moderators: all, with answer links; others: their own) and, during the window, the
    form to lodge one (members of the frozen electorate); a refused objection is audited."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    form = ResultObjectionForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                with audit.refusal_recorded(db.session, current_user, "vote.objection.refused", vote, stage="result"):
                    announcement.lodge(db.session, current_user, vote, form.kind.data, form.reason.data)
            except DomainError as error:
                vote = db.session.get(Vote, vote_id)
                show_errors(form, error)
                status = error.status
            else:
                db.session.commit()
                flash(_("异议已提交，主持人会逐条答复"))
                return redirect(url_for(".objections_page", vote_id=vote_id))
        else:
            audit.record_apart(db.session, current_user, "vote.objection.refused", vote, stage="result", status=422,
                               reason="；".join(str(m) for ms in form.errors.values() for m in ms))
            vote = db.session.get(Vote, vote_id)
            status = 422
    voter = voter_for(db.session, vote, current_user)
    page = paginate(db.session, announcement.listing_query(current_user, vote), per_page=50, number=page_number())
    shown = panel(vote, voter, form=form)
    if shown is not None:
        shown.mine = []  # listed below, with the rest
    return render_template("voting/objections.html", vote=vote, page=page, panel=shown,
                           can_moderate=vote.can_moderate(current_user), state=vote.state), status


@bp.route("/votes/<int:vote_id>/result-objections/<int:objection_id>", methods=["GET", "POST"])
@login_required
def answer(vote_id: int, objection_id: int):
    """Answer one result objection (moderators): accepted or rejected with words; an accepted one may recount."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    objection = announcement.objection_of(db.session, current_user, vote, objection_id)
    form = ObjectionAnswerForm()
    status = 200
    if form.validate_on_submit():
        try:
            with audit.refusal_recorded(db.session, current_user, "vote.objection.answer_refused", vote,
                                        objection_id=objection_id):
                answered = announcement.answer(db.session, current_user, vote, objection_id,
                                               form.accepted.data == "yes", form.answer.data,
                                               recount=form.recount.data)
        except DomainError as error:
            vote = db.session.get(Vote, vote_id)
            objection = db.session.get(VoteObjection, objection_id)
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            correction = answered.correction or {}
            if correction.get("recount"):
                flash(_("已答复，并重新计票：结果有变化，已保存新结果") if correction.get("changed")
                      else _("已答复，并重新计票：与公示结果一致"))
            else:
                flash(_("已答复"))
            return redirect(url_for(".objections_page", vote_id=vote_id))
    elif form.is_submitted():
        audit.record_apart(db.session, current_user, "vote.objection.answer_refused", vote, objection_id=objection_id,
                           status=422, reason="；".join(str(m) for ms in form.errors.values() for m in ms))
        vote = db.session.get(Vote, vote_id)
        objection = db.session.get(VoteObjection, objection_id)
        status = 422
    return render_template("voting/objection_answer.html", vote=vote, objection=objection, form=form), status


@bp.route("/votes/<int:vote_id>/announce", methods=["GET", "POST"])
@login_required
def announce(vote_id: int):
    """Announce the result (moderators): a page says what announcing does; its confirmed POST does it. Refused
    while the window runs or an objection waits for its answer (audited)."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user, moderate=True))
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST":
            return redirect(url_for(".announce", vote_id=vote.id), 303)
        if not vote.is_preliminary():
            flash(_("结果已公告") if vote.announced_at else _("表决尚未结束，不能公告结果"), "error")
            return redirect(url_for("voting.detail", vote_id=vote.id))
        consequences = [_("初步结果成为最终结果，不再接受异议，也不能再重新计票"),
                        _("表决页、结果页、现场大屏和会议纪要显示为“已公告”，纪要以公告的结果为准")]
        if vote.objections_until:
            consequences.append(_("结果公示期：至 %(when)s", when=format_datetime(vote.objections_until)))
        return render_template("confirm.html", form=form, question=_("确认公告表决“%(title)s”的结果？", title=vote.title),
                               consequences=consequences, confirm_label=_("确认公告结果"),
                               action=url_for(".announce", vote_id=vote.id),
                               back=url_for("voting.detail", vote_id=vote.id), back_label=vote.title)
    try:
        with audit.refusal_recorded(db.session, current_user, "vote.announce_refused", vote):
            announcement.announce(db.session, current_user, vote)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for("voting.detail", vote_id=vote_id) + "#announcement", 303)
    db.session.commit()
    live.publish(vote_id)
    flash(_("结果已公告"))
    return redirect(url_for("voting.result", vote_id=vote_id))
