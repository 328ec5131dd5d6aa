"""Pages' actions on comment rounds and comments: open and close rounds, post, reply, support, report, moderate."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberation import inputs
from deliberation.accounts.forms import EmptyForm
from deliberation.consultations import comments
from deliberation.consultations import moderation as moderation_ops
from deliberation.consultations.access import (
    comment_or_404,
    consultation_or_404,
    round_or_404,
)
from deliberation.consultations.forms import (
    CommentForm,
    ReasonForm,
    ReplyForm,
    RoundForm,
    to_utc,
)
from deliberation.consultations.routes.blueprint import bp
from deliberation.consultations.routes.sessions import render_detail
from deliberation.errors import Conflict, DomainError
from deliberation.extensions import db
from deliberation.forms import show_errors
from deliberation.limits import comment_limit


@bp.post("/consultations/<int:consultation_id>/rounds")
@login_required
def open_round(consultation_id: int):
    """Open a new comment round (moderators)."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = RoundForm()
    if not form.validate_on_submit():
        return render_detail(consultation, 422, round_form=form)
    try:
        round_ = comments.open_round(
            db.session,
            current_user,
            consultation,
            to_utc(form.closes_at.data),
            to_utc(form.opens_at.data),
        )
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return render_detail(consultation, error.status, round_form=form)
    db.session.commit()
    flash(_("第 %(n)d 轮意见征集已开设", n=round_.number))
    return redirect(url_for(".detail", consultation_id=consultation_id) + "#rounds")


@bp.post("/rounds/<int:round_id>/close")
@login_required
def close_round(round_id: int):
    """End a round now (moderators)."""
    round_ = round_or_404(round_id, current_user, moderate=True)
    if EmptyForm().validate_on_submit():
        try:
            comments.close_round(db.session, current_user, round_)
        except Conflict as error:  # closed already (a second tap): the session page says so
            db.session.rollback()
            flash(error.message, "error")
        else:
            db.session.commit()
            flash(_("第 %(n)d 轮意见征集已结束", n=round_.number))
    return redirect(url_for(".detail", consultation_id=round_.consultation_id) + "#rounds")


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
        return render_detail(consultation, 422, comment_form=form)
    proposal_id = int(form.proposal_id.data) if inputs.is_id(form.proposal_id.data or "") else None
    try:
        comment = comments.post_comment(
            db.session, current_user, consultation, form.body.data, proposal_id=proposal_id
        )
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return render_detail(consultation, error.status, comment_form=form)
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
        return render_detail(consultation, 422, reply_to=parent.id, reply_form=form)
    try:
        comment = comments.post_comment(
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
        return render_detail(consultation, error.status, reply_to=parent.id, reply_form=form)
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
            comment_id, lambda c: comments.withdraw_support(db.session, current_user, c), _("已取消支持")
        )
    return _comment_action(
        comment_id, lambda c: comments.support_comment(db.session, current_user, c), _("已支持这条意见")
    )


@bp.post("/comments/<int:comment_id>/report")
@login_required
def report(comment_id: int):
    """Report a comment to the moderators."""
    return _comment_action(
        comment_id,
        lambda c, r: comments.report_comment(db.session, current_user, c, r),
        _("已举报，主持人会尽快处理"),
        with_reason=True,
    )


@bp.post("/comments/<int:comment_id>/hide")
@login_required
def hide(comment_id: int):
    """Hide a comment with a reason (moderators)."""
    return _comment_action(
        comment_id,
        lambda c, r: moderation_ops.hide_comment(db.session, current_user, c, r),
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
        lambda c: moderation_ops.restore_comment(db.session, current_user, c),
        _("意见已公开"),
        moderate=True,
    )


@bp.post("/comments/<int:comment_id>/dismiss")
@login_required
def dismiss(comment_id: int):
    """Keep a reported comment and close its reports (moderators)."""
    return _comment_action(
        comment_id,
        lambda c: moderation_ops.dismiss_reports(db.session, current_user, c),
        _("已保留这条意见"),
        moderate=True,
    )


