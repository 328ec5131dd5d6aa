"""The wish wall (微心愿): the wall, one idea, and the actions on ideas."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.consultations import ideas as idea_ops
from deliberation.consultations.access import (
    consultation_or_404,
    idea_or_404,
)
from deliberation.consultations.forms import (
    AnswerForm,
    IdeaForm,
    MergeForm,
    PromoteForm,
)
from deliberation.consultations.models import (
    IdeaStatus,
    Proposal,
)
from deliberation.consultations.routes.blueprint import bp
from deliberation.errors import DomainError, Forbidden, Invalid, NotFound
from deliberation.extensions import db
from deliberation.forms import error_summary, show_errors
from deliberation.pagination import page_number


@bp.route("/communities/<int:community_id>/ideas", methods=["GET", "POST"])
@login_required
def ideas(community_id: int):
    """The wish wall (微心愿): post an idea, see and support the others'."""
    community = community_or_404(community_id, current_user)
    form = IdeaForm()
    status = 200
    if form.validate_on_submit():
        try:
            idea = idea_ops.post_idea(db.session, current_user, community, form.title.data, form.body.data)
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
    page = idea_ops.list_ideas(db.session, community, sort=sort, page=page_number())
    supported = idea_ops.supported_idea_ids(db.session, current_user, [i.id for i in page.items])
    return render_template(
        "consultations/ideas.html",
        community=community,
        page=page,
        form=form,
        sort=sort,
        supported=supported,
        empty_form=EmptyForm(),
    ), status


def render_idea(found, status: int = 200, **forms):
    """One idea's page; a moderator's form given (answer_form, merge_form, promote_form) is shown as it was
    sent, with its messages next to its fields."""
    can_moderate = found.community.can_moderate(current_user)
    promote_form = forms.get("promote_form") or PromoteForm(formdata=None)
    if can_moderate:
        promote_form.consultation_id.choices = [
            SelectChoice(c.id, c.title)
            for c in idea_ops.sessions_taking_ideas(db.session, current_user, found.community)
        ]
    merged = idea_ops.merged_into(db.session, found)
    supported = found.id in idea_ops.supported_idea_ids(db.session, current_user, [found.id])
    return render_template(
        "consultations/idea.html",
        idea=found,
        community=found.community,
        can_moderate=can_moderate,
        answer_form=forms.get("answer_form") or AnswerForm(formdata=None, obj=found),
        merge_form=forms.get("merge_form") or MergeForm(formdata=None),
        promote_form=promote_form,
        merged=merged,
        supported=supported,
        empty_form=EmptyForm(),
        statuses=IdeaStatus,
    ), status


@bp.get("/ideas/<int:idea_id>")
@login_required
def idea(idea_id: int):
    """One idea with its answer, and the moderator's answer, merge and promote forms."""
    return render_idea(idea_or_404(idea_id, current_user))


def _idea_action(idea_id: int, form_class, action, message: str, moderate: bool = False, shown_as: str = ""):
    """Load, check the form, call the service, commit once, and go back. A form with typed input (``shown_as``:
    its name on the idea's page) refused is shown again with what was typed and why (422, or the service's
    status); a one-click button's refusal goes back to the page with the message."""
    found = idea_or_404(idea_id, current_user, moderate=moderate)
    form = form_class()
    if form_class is PromoteForm:
        form.consultation_id.choices = []
    if not form.validate_on_submit():
        flash(error_summary(form) or _("请求有误，请重试"), "error")
        if shown_as:
            return render_idea(found, 422, **{shown_as: form})
        return redirect(url_for(".idea", idea_id=found.id))
    try:
        result = action(found, form)
    except DomainError as error:
        db.session.rollback()
        if shown_as:
            show_errors(form, error)
            return render_idea(found, error.status, **{shown_as: form})
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
            lambda i, f: idea_ops.withdraw_idea_support(db.session, current_user, i),
            _("已取消支持"),
        )
    return _idea_action(
        idea_id,
        EmptyForm,
        lambda i, f: idea_ops.support_idea(db.session, current_user, i),
        _("已支持这条心愿"),
    )


@bp.post("/ideas/<int:idea_id>/answer")
@login_required
def answer_idea(idea_id: int):
    """Answer an idea on the wall (moderators)."""
    return _idea_action(
        idea_id,
        AnswerForm,
        lambda i, f: idea_ops.answer_idea(db.session, current_user, i, f.answer.data),
        _("答复已发布"),
        moderate=True,
        shown_as="answer_form",
    )


@bp.post("/ideas/<int:idea_id>/in-progress")
@login_required
def idea_in_progress(idea_id: int):
    """Mark a received idea as being dealt with (处理中, moderators)."""
    return _idea_action(
        idea_id,
        EmptyForm,
        lambda i, f: idea_ops.mark_in_progress(db.session, current_user, i),
        _("已标记为处理中"),
        moderate=True,
    )


@bp.post("/ideas/<int:idea_id>/merge")
@login_required
def merge_idea(idea_id: int):
    """Merge a duplicate idea into another (moderators)."""
    return _idea_action(
        idea_id,
        MergeForm,
        lambda i, f: idea_ops.merge_idea(db.session, current_user, i, f.target_id.data),
        _("已合并"),
        moderate=True,
        shown_as="merge_form",
    )


@bp.post("/ideas/<int:idea_id>/promote")
@login_required
def promote_idea(idea_id: int):
    """Turn an idea into a proposal of a session (moderators)."""

    def action(found, form):
        try:
            consultation = consultation_or_404(form.consultation_id.data or 0, current_user, moderate=True)
        except (NotFound, Forbidden):  # none chosen, or not one of the list: said next to the list
            raise Invalid(_("请选择本居民区的议事"), fields={"consultation_id": _("找不到该议事")}) from None
        return idea_ops.promote_idea(db.session, current_user, found, consultation, form.is_variant.data)

    return _idea_action(idea_id, PromoteForm, action, _("已转为方案"), moderate=True, shown_as="promote_form")


