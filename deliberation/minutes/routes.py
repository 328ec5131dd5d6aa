"""Pages of the minutes: read and download the published versions; moderators draft and publish."""

from __future__ import annotations

from dataclasses import asdict

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberation import documents, inputs
from deliberation.accounts.forms import EmptyForm
from deliberation.consultations.access import consultation_or_404
from deliberation.db import write_intent
from deliberation.errors import DomainError, NotFound
from deliberation.extensions import db
from deliberation.forms import ConfirmForm, show_errors
from deliberation.minutes import render, services
from deliberation.minutes.forms import DraftForm

bp = Blueprint("minutes", __name__)


def _version_arg() -> int | None:
    value = request.args.get("version", "")
    if not value:
        return None
    number = inputs.id_arg("version")
    if number is None:
        raise NotFound(_("找不到该版本的纪要"))
    return number


def _draft_arg() -> bool:
    return request.args.get("draft", "") in ("1", "true", "yes")


@bp.get("/consultations/<int:consultation_id>/minutes")
@login_required
def page(consultation_id: int):
    """The minutes of a session: the published version asked for (or the latest); the draft for moderators."""
    consultation = consultation_or_404(consultation_id, current_user)
    can_moderate = consultation.can_moderate(current_user)
    version = _version_arg()
    published = services.published_versions(db.session, consultation)
    contents = None
    if version is not None or (published and not (can_moderate and _draft_arg())):
        contents = services.contents_for(db.session, current_user, consultation, version=version)
    form = draft = preview = None
    if can_moderate:
        fields = services.draft_fields(db.session, consultation)
        form = DraftForm(data=asdict(fields))
        draft = services.current_draft(db.session, consultation)
        if contents is None:
            preview = services.preview(db.session, current_user, consultation)
    return _page(consultation, contents=contents, preview=preview, published=published, form=form, draft=draft)


def _page(consultation, *, contents, preview, published, form, draft, status: int = 200):
    shown = contents or preview
    return render_template(
        "minutes/page.html",
        consultation=consultation,
        shown=shown,
        body=render.template_context(shown) if shown is not None else None,
        is_preview=contents is None and preview is not None,
        published=published,
        form=form,
        draft=draft,
        publish_form=EmptyForm(),
        formats=render.FORMATS,
        can_moderate=form is not None,
    ), status


@bp.post("/consultations/<int:consultation_id>/minutes/draft")
@login_required
def save_draft(consultation_id: int):
    """Save the draft's closing notes, names and correction note."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = DraftForm()
    if form.validate_on_submit():
        try:
            services.save_draft(
                db.session, current_user, consultation, closing_notes=form.closing_notes.data,
                host=form.host.data, recorder=form.recorder.data, change_note=form.change_note.data,
            )
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
        else:
            db.session.commit()
            flash(_("纪要草稿已保存"))
            return redirect(url_for(".page", consultation_id=consultation.id, draft=1))
    published = services.published_versions(db.session, consultation)
    preview = services.preview(db.session, current_user, consultation)
    return _page(consultation, contents=None, preview=preview, published=published, form=form,
                 draft=services.current_draft(db.session, consultation), status=422)


@bp.route("/consultations/<int:consultation_id>/minutes/publish", methods=["GET", "POST"])
@login_required
def publish(consultation_id: int):
    """Publish the draft: it becomes the next version, frozen. A page says what publishing does; only
    its confirmed POST publishes. A POST without the confirmation goes to that page."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = ConfirmForm()
    if request.method == "GET" or not form.validate_on_submit():
        if request.method == "POST":
            return redirect(url_for(".publish", consultation_id=consultation.id), 303)
        draft = services.current_draft(db.session, consultation)
        back = url_for(".page", consultation_id=consultation.id, draft=1)
        if draft is None:
            flash(_("还没有纪要草稿，请先填写并保存结语"), "error")
            return redirect(back)
        consequences = [_("第%(n)d版纪要向本议事的全体居民公布", n=draft.number),
                        _("内容冻结（附表决记录的摘要值），之后不能修改；如需更改，只能另行公布更正版")]
        if draft.number == 1:
            consequences.append(_("议事进入“纪要已公布”阶段"))
        return render_template("confirm.html", form=form,
                               question=_("确认公布第%(n)d版纪要？", n=draft.number), consequences=consequences,
                               confirm_label=_("确认公布"), action=url_for(".publish", consultation_id=consultation.id),
                               back=back, back_label=_("纪要草稿"))
    try:
        minutes = services.publish(db.session, current_user, consultation)
    except DomainError as error:
        db.session.rollback()
        flash(error.message, "error")
        return redirect(url_for(".page", consultation_id=consultation.id, draft=1))
    db.session.commit()
    flash(_("第%(n)d版纪要已公布", n=minutes.number))
    return redirect(url_for(".page", consultation_id=consultation.id, version=minutes.number))


@bp.get("/consultations/<int:consultation_id>/minutes/document")
@login_required
def document(consultation_id: int):
    """The printable page alone (the same template the PDF is made from)."""
    consultation = consultation_or_404(consultation_id, current_user)
    contents = services.contents_for(db.session, current_user, consultation, version=_version_arg(),
                                     draft=_draft_arg())
    return render.render_html(contents, linked_css=True)


@bp.get("/consultations/<int:consultation_id>/minutes/download")
@login_required
def download(consultation_id: int):
    """The minutes as a file: ?format=pdf|docx|md|html|csv|xlsx [&version=N | &draft=1]."""
    # A download is recorded in the audit log: this GET writes, so it takes the write lock up front.
    db.session.rollback()
    write_intent.set(True)
    consultation = consultation_or_404(consultation_id, current_user)
    data, name, mimetype = services.export(
        db.session, current_user, consultation, request.args.get("format", "pdf"), version=_version_arg(),
        draft=_draft_arg(),
    )
    db.session.commit()
    return documents.download(data, name, mimetype)
