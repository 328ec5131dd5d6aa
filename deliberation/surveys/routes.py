"""Pages of the surveys capability: list, builder, answering (with autosave), paper forms, results."""

from __future__ import annotations

from flask import Blueprint, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from deliberation import charts, documents, inputs
from deliberation.accounts.access import community_or_404
from deliberation.accounts.forms import EmptyForm
from deliberation.accounts.models import Community
from deliberation.consultations.forms import to_local, to_utc
from deliberation.consultations.models import Consultation
from deliberation.db import utcnow
from deliberation.errors import Conflict, DomainError, Invalid
from deliberation.extensions import db
from deliberation.forms import ConfirmForm, show_errors
from deliberation.limits import survey_save_limit
from deliberation.pagination import paginate
from deliberation.surveys import answering, exports, labels, lists, paper
from deliberation.surveys import builder as survey_builder
from deliberation.surveys import results as survey_results
from deliberation.surveys.access import question_or_404, survey_or_404
from deliberation.surveys.forms import PaperForm, QuestionForm, SurveyForm, answers_from_form
from deliberation.surveys.models import QuestionKind, Survey, SurveyState

bp = Blueprint("surveys", __name__)


@bp.app_context_processor
def _survey_helpers():
    return {"survey_state_label": labels.state_label, "question_kind_label": labels.kind_label,
            "survey_text_limit": answering.text_limit, "anonymity_label": labels.anonymity_label}


# -- lists and settings --------------------------------------------------------------------------


@bp.get("/communities/<int:community_id>/surveys")
@login_required
def index(community_id: int):
    """The community's surveys the user may see, newest first."""
    community = community_or_404(community_id, current_user)
    page = paginate(db.session, lists.community_surveys(db.session, current_user, community), per_page=20)
    counts = lists.response_counts(db.session, [s.id for s in page.items])
    return render_template("surveys/list.html", community=community, page=page, counts=counts,
                           can_moderate=community.can_moderate(current_user))


def _survey_form(community: Community, survey: Survey | None = None) -> SurveyForm:
    form = SurveyForm(obj=survey) if survey is not None and request.method == "GET" else SurveyForm()
    sessions = db.session.execute(
        select(Consultation.id, Consultation.title).where(Consultation.community_id == community.id)
        .order_by(Consultation.created_at.desc()).limit(50)
    ).all()
    form.consultation_id.choices = [SelectChoice(0, _("不属于某次议事（全体居民）"))] + [
        SelectChoice(i, t) for i, t in sessions]
    if request.method == "GET":
        if survey is not None:
            form.anonymity.data = survey.anonymity.value
            form.consultation_id.data = survey.consultation_id or 0
            form.opens_at.data = to_local(survey.opens_at)
            form.closes_at.data = to_local(survey.closes_at)
        elif consultation_id := inputs.id_arg("consultation_id"):
            form.consultation_id.data = consultation_id
    return form


def _survey_input(form: SurveyForm) -> survey_builder.SurveyInput:
    return survey_builder.SurveyInput(
        title=form.title.data, intro=form.intro.data or "", anonymity=form.anonymity.data,
        consultation_id=form.consultation_id.data or None, opens_at=to_utc(form.opens_at.data),
        closes_at=to_utc(form.closes_at.data), reminder_days=form.reminder_days.data,
    )


@bp.route("/communities/<int:community_id>/surveys/new", methods=["GET", "POST"])
@login_required
def create(community_id: int):
    """Start a survey (moderators); it stays a draft until published."""
    community = community_or_404(community_id, current_user, moderate=True)
    form = _survey_form(community)
    if form.validate_on_submit():
        try:
            survey = survey_builder.create_survey(db.session, current_user, community, _survey_input(form))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("问卷已创建（草稿），请添加问题"))
            return redirect(url_for(".builder", survey_id=survey.id))
    return render_template("surveys/form.html", community=community, form=form, survey=None), (
        422 if form.is_submitted() else 200)


@bp.route("/surveys/<int:survey_id>/edit", methods=["GET", "POST"])
@login_required
def edit(survey_id: int):
    """Change a survey's title, introduction, anonymity, session and times (moderators)."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    form = _survey_form(survey.community, survey)
    if form.validate_on_submit():
        try:
            survey_builder.update_survey(db.session, current_user, survey, _survey_input(form))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("问卷设置已保存"))
            return redirect(url_for(".builder", survey_id=survey.id))
    return render_template("surveys/form.html", community=survey.community, form=form, survey=survey), (
        422 if form.is_submitted() else 200)


@bp.get("/surveys/<int:survey_id>")
@login_required
def detail(survey_id: int):
    """A survey's front page: what it is about, whether it is anonymous, and what one can do."""
    survey = survey_or_404(survey_id, current_user)
    response = answering.my_response(db.session, current_user, survey)
    return render_template(
        "surveys/detail.html", survey=survey, response=response,
        may_answer=survey.can_answer(current_user),
        can_moderate=survey.can_moderate(current_user),
        can_see_results=survey.can_see_results(current_user),
        count=lists.response_counts(db.session, [survey.id]).get(survey.id, 0),
    )


# -- builder -----------------------------------------------------------------------------------


def _question_input(form: QuestionForm) -> survey_builder.QuestionInput:
    return survey_builder.QuestionInput(
        kind=form.kind.data, text=form.text.data, help_text=form.help_text.data or "", required=form.required.data,
        options=form.option_list(), max_choices=form.max_choices.data, allow_other=form.allow_other.data,
    )


def _render_builder(survey: Survey, form: QuestionForm | None = None, status: int = 200):
    return render_template(
        "surveys/builder.html", survey=survey, form=form or QuestionForm(formdata=None),
        frozen=survey_builder.has_responses(db.session, survey), action=EmptyForm(),
    ), status


def _builder_refusal(survey: Survey, error: Invalid | Conflict):
    """A refused action of the builder's buttons: the builder again with the reason and what to do, never
    a bare error page."""
    db.session.rollback()
    flash(error.message, "error")
    return _render_builder(survey, status=error.status)


@bp.get("/surveys/<int:survey_id>/builder")
@login_required
def builder(survey_id: int):
    """The questionnaire builder: questions in order, with edit, delete, up and down; add one below."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    return _render_builder(survey)


@bp.post("/surveys/<int:survey_id>/questions")
@login_required
def add_question(survey_id: int):
    """Add a question at the end."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    form = QuestionForm()
    if not form.validate_on_submit():
        return _render_builder(survey, form, 422)
    try:
        survey_builder.add_question(db.session, current_user, survey, _question_input(form))
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _render_builder(survey, form, error.status)
    db.session.commit()
    flash(_("问题已添加"))
    return redirect(url_for(".builder", survey_id=survey.id, _anchor="questions"))


@bp.route("/surveys/questions/<int:question_id>/edit", methods=["GET", "POST"])
@login_required
def edit_question(question_id: int):
    """Change a question (until someone has answered)."""
    question = question_or_404(question_id, current_user)
    survey = question.survey
    if request.method == "GET":
        form = QuestionForm(obj=question)
        form.kind.data = question.kind.value
        form.options.data = "\n".join(question.options or [])
    else:
        form = QuestionForm()
    status = 200
    if form.validate_on_submit():
        try:
            survey_builder.update_question(db.session, current_user, question, _question_input(form))
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("问题已保存"))
            return redirect(url_for(".builder", survey_id=survey.id, _anchor=f"question-{question.id}"))
    elif form.is_submitted():
        status = 422
    return render_template("surveys/question_form.html", survey=survey, question=question, form=form), status


@bp.post("/surveys/questions/<int:question_id>/delete")
@login_required
def delete_question(question_id: int):
    """Remove a question (until someone has answered)."""
    question = question_or_404(question_id, current_user)
    survey_id = question.survey_id
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".builder", survey_id=survey_id))
    try:
        survey_builder.delete_question(db.session, current_user, question)
    except (Invalid, Conflict) as error:
        return _builder_refusal(question.survey, error)
    db.session.commit()
    flash(_("问题已删除"))
    return redirect(url_for(".builder", survey_id=survey_id, _anchor="questions"))


@bp.post("/surveys/questions/<int:question_id>/move")
@login_required
def move_question(question_id: int):
    """Move a question up or down by one place: plain buttons, no script needed."""
    question = question_or_404(question_id, current_user)
    if EmptyForm().validate_on_submit():
        try:
            survey_builder.move_question(db.session, current_user, question, request.form.get("direction", ""))
        except (Invalid, Conflict) as error:
            return _builder_refusal(question.survey, error)
        db.session.commit()
    return redirect(url_for(".builder", survey_id=question.survey_id, _anchor=f"question-{question.id}"))


@bp.get("/surveys/<int:survey_id>/preview")
@login_required
def preview(survey_id: int):
    """The survey as a resident sees it; nothing can be submitted from here."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    return render_template("surveys/answer.html", survey=survey, given={}, errors={}, response=None,
                           preview=True)


@bp.post("/surveys/<int:survey_id>/publish")
@login_required
def publish(survey_id: int):
    """Publish a draft: the eligible residents can answer from its opening time."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    if EmptyForm().validate_on_submit():
        try:
            survey_builder.publish_survey(db.session, current_user, survey)
        except (Invalid, Conflict) as error:  # no question yet, a closing time past: the builder, saying what to do
            return _builder_refusal(survey, error)
        db.session.commit()
        flash(_("问卷已发布"))
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.route("/surveys/<int:survey_id>/close", methods=["GET", "POST"])
@login_required
def close(survey_id: int):
    """Stop taking answers now: a page says what closing does; only its confirmed POST closes.
    A POST without the confirmation goes to that page."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST":
            return redirect(url_for(".close", survey_id=survey.id), 303)
        consequences = [_("立即停止收集答卷，居民不能再填写或修改"), _("未提交的草稿不计入结果"),
                        _("截止后向居民公开统计结果")]
        if survey.closes_at:
            consequences.append(_("原定截止时间 %(t)s 不再适用", t=to_local(survey.closes_at).strftime("%Y-%m-%d %H:%M")))
        return render_template("confirm.html", form=form, question=_("确认立即截止问卷“%(title)s”？", title=survey.title),
                               consequences=consequences, confirm_label=_("确认立即截止"),
                               action=url_for(".close", survey_id=survey.id),
                               back=url_for(".detail", survey_id=survey.id), back_label=survey.title)
    try:
        survey_builder.close_survey(db.session, current_user, survey)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".detail", survey_id=survey.id))
    db.session.commit()
    flash(_("问卷已截止"))
    return redirect(url_for(".detail", survey_id=survey.id))


@bp.post("/surveys/<int:survey_id>/new-version")
@login_required
def new_version(survey_id: int):
    """A draft copy to change the questions of a survey that already has answers."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    if not EmptyForm().validate_on_submit():
        return redirect(url_for(".builder", survey_id=survey.id))
    try:
        copy = survey_builder.new_version(db.session, current_user, survey)
    except (Invalid, Conflict) as error:
        return _builder_refusal(survey, error)
    db.session.commit()
    flash(_("已创建第 %(n)d 版（草稿）；发布后旧版本将截止", n=copy.version))
    return redirect(url_for(".builder", survey_id=copy.id))


# -- answering ---------------------------------------------------------------------------------


def _render_answer(survey: Survey, given: dict, errors: dict, response, status: int = 200):
    return render_template("surveys/answer.html", survey=survey, given=given, errors=errors, response=response,
                           preview=False), status


def _chosen_anonymity() -> bool | None:
    """The resident's choice on the form ("1" anonymous, "0" signed) where the survey lets them choose."""
    value = request.form.get("anonymous")
    return None if value is None else value != "0"


@bp.route("/surveys/<int:survey_id>/answer", methods=["GET", "POST"])
@login_required
@survey_save_limit
def answer(survey_id: int):
    """Answer the survey: save as a draft at any time, submit when done; editable until the close."""
    survey = survey_or_404(survey_id, current_user)
    response = answering.my_response(db.session, current_user, survey)
    if request.method == "GET":
        if not survey.can_answer(current_user):
            flash(_("您不在这份问卷的填写范围内"), "error")
            return redirect(url_for(".detail", survey_id=survey.id))
        if not survey.is_open:
            flash(_("问卷已截止，不能再填写或修改") if survey.effective_state == SurveyState.CLOSED
                  else _("问卷尚未开始填写"), "error")
            return redirect(url_for(".detail", survey_id=survey.id))
        return _render_answer(survey, answering.answers_of(response), {}, response)
    if not EmptyForm().validate_on_submit():
        return _render_answer(survey, answers_from_form(survey, request.form), {}, response, 400)
    given = answers_from_form(survey, request.form)
    submit = request.form.get("action") == "submit"
    try:
        response = answering.save_response(db.session, current_user, survey, given, submit=submit,
                                           anonymous=_chosen_anonymity())
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        response = answering.my_response(db.session, current_user, survey)
        return _render_answer(survey, given, error.fields, response, error.status)
    db.session.commit()
    if response.is_submitted:
        flash(_("答卷已提交，谢谢！截止前可以随时回来修改。"))
        return redirect(url_for(".detail", survey_id=survey.id))
    flash(_("草稿已保存，还没有提交"))
    return redirect(url_for(".answer", survey_id=survey.id))


@bp.post("/surveys/<int:survey_id>/draft")
@login_required
@survey_save_limit
def autosave(survey_id: int):
    """The page's script saves the draft as the resident types (JSON; CSRF token in the header)."""
    survey = survey_or_404(survey_id, current_user)
    given = answers_from_form(survey, request.form)
    try:
        response = answering.save_response(db.session, current_user, survey, given, submit=False,
                                           anonymous=_chosen_anonymity())
    except DomainError as error:
        db.session.rollback()
        return jsonify({"saved": False, "message": error.message, "fields": error.fields}), error.status
    db.session.commit()
    # The time of this save, said to the resident only: an anonymous response keeps its day alone.
    return jsonify({"saved": True, "submitted": response.is_submitted, "saved_at": utcnow().isoformat()})


# -- paper -------------------------------------------------------------------------------------


@bp.get("/surveys/<int:survey_id>/paper.pdf")
@login_required
def paper_pdf(survey_id: int):
    """The survey as a printable A4 form: unit box, boxes to tick, lines to write on."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    html = render_template("surveys/paper_form.html", survey=survey)
    pdf = documents.render_pdf(html, base_url=request.url_root)
    return documents.download(pdf, f"{survey.title}-纸质问卷.pdf", documents.PDF_TYPE, inline=True)


def _paper_form(survey: Survey) -> PaperForm:
    form = PaperForm()
    form.building_id.choices = [SelectChoice(0, _("请选择"))] + [
        SelectChoice(b.id, b.name) for b in survey.community.buildings]
    return form


def _render_paper(survey: Survey, form: PaperForm, given: dict, errors: dict, status: int = 200):
    return render_template("surveys/paper_entry.html", survey=survey, form=form, given=given, errors=errors,
                           entered=paper.paper_count(db.session, survey)), status


@bp.route("/surveys/<int:survey_id>/paper", methods=["GET", "POST"])
@login_required
def paper_entry(survey_id: int):
    """Type in a paper form quickly: unit, optional name, the answers; then the next form."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    form = _paper_form(survey)
    if request.method == "GET":
        if building_id := inputs.id_arg("building_id"):
            form.building_id.data = building_id
        return _render_paper(survey, form, {}, {})
    given = answers_from_form(survey, request.form)
    if not form.validate_on_submit():
        return _render_paper(survey, form, given, {}, 422)
    try:
        paper.enter_paper_response(db.session, current_user, survey, given, building_id=form.building_id.data,
                                   room=form.room.data or "", person_name=form.person_name.data or "")
    except DomainError as error:
        db.session.rollback()
        show_errors(form, error)
        return _render_paper(survey, form, given, error.fields, error.status)
    db.session.commit()
    flash(_("已录入 %(room)s 的纸质问卷，请录入下一份", room=f"{form.room.data}"))
    return redirect(url_for(".paper_entry", survey_id=survey.id, building_id=form.building_id.data))


# -- results -----------------------------------------------------------------------------------


@bp.get("/surveys/<int:survey_id>/results")
@login_required
def results(survey_id: int):
    """Counts, percentages and bar charts per question, free-text answers, breakdowns, response rate."""
    survey = survey_or_404(survey_id, current_user)
    survey_results.require_results(survey, current_user)
    summary = survey_results.survey_summary(db.session, survey)
    chart_kinds = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.SCALE, QuestionKind.RANKING)
    charts_by_question = {
        q.id: charts.bar_chart([(r.label, r.count) for r in q.rows], title=q.label, total=q.answered or None)
        for q in summary.questions if QuestionKind(q.kind) in chart_kinds and q.rows
    }
    groups = survey_results.breakdowns(db.session, survey)
    group_charts = {
        dimension: charts.stacked_chart(
            # Groups outside the roster (a paper form without a name) have no rate to draw.
            [(row.label, {"yes": row.responses, "no": max(row.eligible - row.responses, 0)})
             for row in rows if row.eligible],
            title=_("按%(d)s的回收率", d=survey_results.dimension_label(dimension)),
            series=[("yes", _("已填写")), ("no", _("未填写"))],
        )
        for dimension, rows in groups.items() if any(row.eligible for row in rows)
    }
    by = request.args.get("by", "")
    cross = survey_results.answer_breakdown(db.session, survey, by) if by in survey_results.DIMENSIONS else {}
    return render_template(
        "surveys/results.html", survey=survey, summary=summary, charts=charts_by_question, groups=groups,
        group_charts=group_charts, texts=survey_results.free_texts(db.session, survey),
        can_moderate=survey.can_moderate(current_user), dimension_label=survey_results.dimension_label,
        by=by if cross else "", cross=cross, dimensions=survey_results.DIMENSIONS,
        min_group=survey_results.MIN_ANONYMOUS_GROUP,
    )


@bp.get("/surveys/<int:survey_id>/results.<any(csv, xlsx):fmt>")
@login_required
def export(survey_id: int, fmt: str):
    """The answers (one row per response) and the counts, as CSV (UTF-8 with BOM) or XLSX."""
    survey = survey_or_404(survey_id, current_user, moderate=True)
    header, rows, count_header, count_rows = exports.export_tables(db.session, current_user, survey)
    name = f"{survey.title}-问卷结果"
    if fmt == "csv":
        return documents.download(documents.csv_bytes(header, rows), f"{name}.csv", documents.CSV_TYPE)
    data = documents.xlsx_bytes([(_("答卷"), header, rows), (_("统计"), count_header, count_rows)])
    return documents.download(data, f"{name}.xlsx", documents.XLSX_TYPE)

