"""Pages of the posted roll (表决权人名册公示), on the voting blueprint: the moderator posts it, everyone of the
community reads it and may object, the moderator answers each objection (voting.roll does the work)."""

from __future__ import annotations

from datetime import timedelta

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from wtforms import RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from deliberation import audit
from deliberation.accounts import corrections
from deliberation.accounts.models import Unit
from deliberation.db import utcnow
from deliberation.errors import DomainError, Invalid
from deliberation.extensions import db
from deliberation.formatting import format_datetime
from deliberation.forms import ConfirmForm, SafeForm, show_errors
from deliberation.pagination import page_number
from deliberation.validation import clean_text
from deliberation.voting import labels, lifecycle, objections, roll
from deliberation.voting.access import vote_or_404
from deliberation.voting.models import ObjectionStage, Vote
from deliberation.voting.routes import bp


class RollPostForm(SafeForm):
    days = StringField(_l("公示天数"), default=str(roll.DEFAULT_DAYS), validators=[Length(max=10)],
                       description=_l("公示期内居民可以查看名册、提出异议；公示期结束、异议都答复后才能开启表决"))


class ObjectionForm(SafeForm):
    kind = RadioField(_l("异议的类型"), choices=[], validate_choice=False)
    building_id = SelectField(_l("楼栋"), coerce=int, validate_choice=False)
    room = StringField(_l("室号"), validators=[Optional(), Length(max=20)], description=_l("例如 302"))
    reason = TextAreaField(_l("理由"), validators=[Length(max=objections.REASON_LIMIT)],
                           description=_l("例如：面积有误，产证面积为 90.20 ㎡；或：已过户给某某"))


class AnswerForm(SafeForm):
    decision = RadioField(_l("答复"), choices=[SelectChoice("accept", _l("采纳（更正名册）")),
                                                SelectChoice("reject", _l("不采纳（须说明理由）"))],
                          validate_choice=False)
    area = StringField(_l("更正后的面积（㎡）"), validators=[Optional(), Length(max=20)])
    owners = StringField(_l("更正后的业主姓名（多人用“、”分隔）"), validators=[Optional(), Length(max=200)])
    answer = TextAreaField(_l("答复内容（异议人可以看到）"), validators=[Length(max=objections.REASON_LIMIT)])


@bp.app_context_processor
def _roll_helpers():
    return {"roll_status": roll_status}


def _confirmation() -> ConfirmForm:
    """The confirmation page's form, shown in answer to a POST (the first step's): it sends confirmed=yes."""
    form = ConfirmForm()
    form.confirmed.data = "yes"
    return form


def roll_status(vote: Vote) -> dict:
    """What the vote page says of the roll: posted until when, objections open, what holds the opening back."""
    return {"needed": roll.needs_roll(vote), "may_post": roll.may_post_roll(vote) and vote.opened_at is None,
            "open": vote.objections_open(ObjectionStage.ROLL), "blockers": roll.opening_blockers(db.session, vote),
            "held": roll.held_opening(db.session, vote) if vote.can_moderate(current_user) else None}


def _kind_choices() -> list[SelectChoice]:
    return [SelectChoice(kind, labels.objection_kind_label(kind)) for kind in objections.KINDS[ObjectionStage.ROLL]]


def _objection_form(vote: Vote) -> ObjectionForm:
    form = ObjectionForm()
    form.kind.choices = _kind_choices()
    form.building_id.choices = [SelectChoice(0, _("请选择楼栋"))] + [
        SelectChoice(b.id, b.name) for b in sorted(vote.consultation.community.buildings, key=lambda b: b.sort_key)]
    return form


def _roll_page(vote: Vote, form: ObjectionForm | None = None, status: int = 200):
    data = roll.read_roll(db.session, current_user, vote, page=page_number())
    form = form or _objection_form(vote)
    unit_id = request.args.get("unit", "")
    if not form.is_submitted() and unit_id.isdigit():  # "对此条提出异议" from a row: its building and room
        for entry in data.entries.items:
            for unit in entry.units:
                if unit.unit_id == int(unit_id):
                    form.building_id.data = unit.building_id
                    form.room.data = unit.room
    mine = objections.listing(db.session, current_user, vote, ObjectionStage.ROLL) \
        if not vote.can_moderate(current_user) else []
    units = roll.unit_labels(db.session, [o.unit_id for o in mine])
    return render_template("voting/roll.html", vote=vote, roll=data, form=form, mine=mine,
                           objection_unit=lambda o: units.get(o.unit_id, ""),
                           can_object=vote.can_object(current_user, ObjectionStage.ROLL),
                           status=roll_status(vote), kind_label=labels.objection_kind_label,
                           can_moderate=vote.can_moderate(current_user)), status


@bp.get("/votes/<int:vote_id>/roll")
@login_required
def roll_page(vote_id: int):
    """The posted roll: units, owners' names masked, areas, the totals and how they were counted; the objection
    form while the period runs, and one's own objections with their answers."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    return _roll_page(vote)


@bp.route("/votes/<int:vote_id>/roll/post", methods=["GET", "POST"])
@login_required
def post_roll(vote_id: int):
    """Post the roll (moderators): the period in days (7 proposed), then a page saying what posting does; only its
    confirmed POST posts it."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user, moderate=True))
    form = RollPostForm()
    status = 200
    if form.validate_on_submit():
        try:
            days = roll.parse_days(form.days.data)
            if ConfirmForm().validate_on_submit():
                with audit.refusal_recorded(db.session, current_user, "vote.roll.post_refused", vote):
                    roll.post_roll(db.session, current_user, vote, days)
                db.session.commit()
                flash(_("表决权人名册已公示，至 %(when)s", when=format_datetime(vote.roll_until)))
                return redirect(url_for(".roll_page", vote_id=vote.id))
        except DomainError as error:
            show_errors(form, error)
            status = 422
        else:
            until = utcnow() + timedelta(days=days)
            return render_template(
                "confirm.html", form=_confirmation(), question=_("确认公示“%(title)s”的表决权人名册？", title=vote.title),
                consequences=[_("本居民区所有居民都可以查看名册：房屋、业主姓名（部分隐去）、面积、户数和面积合计"),
                              _("公示至 %(when)s；公示期内居民可以提出异议，主持人须逐条答复", when=format_datetime(until)),
                              _("公示期结束、异议都答复后才能开启表决；公示期只能延长，不能缩短")],
                confirm_label=_("确认公示名册"), action=url_for(".post_roll", vote_id=vote.id),
                extra={"days": days}, back=url_for(".detail", vote_id=vote.id), back_label=vote.title)
    elif form.is_submitted():
        status = 422
    return render_template("voting/roll_post.html", vote=vote, form=form, status=roll_status(vote)), status


@bp.post("/votes/<int:vote_id>/roll/objections")
@login_required
def lodge_objection(vote_id: int):
    """Object to the posted roll (面积有误, 已过户…) while its period runs; the page again with what was typed
    when something is missing."""
    vote = vote_or_404(vote_id, current_user)
    form = _objection_form(vote)
    if not form.validate_on_submit():
        return _roll_page(vote, form, 422)
    try:
        with audit.refusal_recorded(db.session, current_user, "vote.objection.refused", vote):
            unit_id = None
            if form.building_id.data or (form.room.data or "").strip():
                unit_id = roll.find_unit(db.session, vote, form.building_id.data, form.room.data)
            elif form.kind.data in roll.CORRECTS:
                raise Invalid(_("请选择异议所指的楼栋并填写室号"), fields={"room": _("请选择楼栋并填写室号")})
            roll.lodge_objection(db.session, current_user, vote, form.kind.data, form.reason.data, unit_id)
    except DomainError as error:
        show_errors(form, error)
        return _roll_page(vote, form, 422 if error.status == 422 else error.status)
    db.session.commit()
    flash(_("异议已提交，主持人会逐条答复；答复会显示在本页"))
    return redirect(url_for(".roll_page", vote_id=vote.id) + "#my-objections")


def _objections_page(vote: Vote, forms: dict | None = None, status: int = 200):
    listed = objections.listing(db.session, current_user, vote, ObjectionStage.ROLL)
    forms = forms or {}
    for objection in listed:
        if objection.answered_at is None and objection.id not in forms:
            forms[objection.id] = AnswerForm(formdata=None, prefix=f"o{objection.id}")
    units = roll.unit_labels(db.session, [o.unit_id for o in listed])
    return render_template("voting/roll_objections.html", vote=vote, objections=listed, forms=forms,
                           kind_label=labels.objection_kind_label, corrects=roll.CORRECTS,
                           objection_unit=lambda o: units.get(o.unit_id, ""),
                           correction_text=roll.correction_text, status=roll_status(vote)), status


@bp.get("/votes/<int:vote_id>/roll/objections")
@login_required
def roll_objections(vote_id: int):
    """The objections to the roll (moderators), unanswered first, each with its answer form."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user, moderate=True))
    return _objections_page(vote)


def _check_answer(objection, form: AnswerForm) -> None:
    """The answer's fields before the confirmation page: what the service will ask of them, checked now."""
    accepted = form.decision.data == "accept"
    if form.decision.data not in ("accept", "reject"):
        raise Invalid(_("请选择采纳或不采纳"), fields={"decision": _("请选择")})
    clean_text(form.answer.data, "answer", _("答复"), max_length=objections.REASON_LIMIT, required=not accepted)
    field = roll.CORRECTS.get(objection.kind)
    if accepted and field and objection.unit_id is not None:
        if field == "area":
            corrections.parse_area(form.area.data)
        else:
            corrections.owner_names(form.owners.data)


@bp.post("/votes/<int:vote_id>/roll/objections/<int:objection_id>/answer")
@login_required
def answer_objection(vote_id: int, objection_id: int):
    """Answer an objection (moderators): accept with the correction typed, or reject with a reason; a page says
    what the answer does (the roster corrected, the roll re-counted, answered once), its confirmed POST does it."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    objection = roll.get_objection(db.session, current_user, vote, objection_id)
    form = AnswerForm(prefix=f"o{objection.id}")
    if not form.validate_on_submit():
        return _objections_page(vote, {objection.id: form}, 422)
    try:
        _check_answer(objection, form)
    except DomainError as error:
        show_errors(form, error)
        return _objections_page(vote, {objection.id: form}, 422)
    accepted = form.decision.data == "accept"
    if not ConfirmForm().validate_on_submit():
        field = roll.CORRECTS.get(objection.kind) if accepted and objection.unit_id else None
        unit = db.session.get(Unit, objection.unit_id) if objection.unit_id else None
        consequences = [_("答复后不能修改，异议人会在名册页面看到答复")]
        if field == "area":
            consequences.insert(0, _("把%(unit)s的面积从 %(old)s ㎡ 改为 %(new)s ㎡，名册重新计数", unit=unit.label,
                                     old=unit.area if unit.area is not None else "—",
                                     new=corrections.parse_area(form.area.data)))
        elif field == "owners":
            consequences.insert(0, _("把%(unit)s的业主改为：%(names)s，名册重新计数", unit=unit.label,
                                     names="、".join(corrections.owner_names(form.owners.data))))
        elif not accepted:
            consequences.insert(0, _("不采纳，理由：%(reason)s", reason=form.answer.data.strip()))
        return render_template(
            "confirm.html", form=_confirmation(), question=_("确认答复这条异议？"), consequences=consequences,
            confirm_label=_("确认答复"), action=url_for(".answer_objection", vote_id=vote.id,
                                                      objection_id=objection.id),
            extra={f"o{objection.id}-{name}": form[name].data or "" for name in ("decision", "area", "owners",
                                                                                  "answer")},
            back=url_for(".roll_objections", vote_id=vote.id), back_label=_("名册异议"))
    try:
        with audit.refusal_recorded(db.session, current_user, "vote.objection.answer_refused", vote):
            roll.answer_objection(db.session, current_user, objection, accepted, form.answer.data,
                                  area=form.area.data, owners=form.owners.data)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".roll_objections", vote_id=vote.id), 303)
    db.session.commit()
    flash(_("已答复；名册已更正并重新计数") if accepted and objection.correction else _("已答复"))
    return redirect(url_for(".roll_objections", vote_id=vote.id))
