"""Pages of proposals: the forms for a proposal and its versions, a version with its difference, pictures."""

from __future__ import annotations

from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from wtforms.fields.choices import SelectChoice

from deliberation import audit, inputs
from deliberation.consultations import pictures as picture_files
from deliberation.consultations import proposals
from deliberation.consultations.access import (
    consultation_or_404,
    picture_or_404,
    proposal_or_404,
)
from deliberation.consultations.forms import (
    ProposalForm,
    VersionForm,
)
from deliberation.consultations.routes.blueprint import bp
from deliberation.errors import DomainError, NotFound
from deliberation.extensions import db
from deliberation.forms import show_errors


def _uploads(field) -> list[tuple[bytes, str]]:
    """The files of a multiple-file field, read up to the size limit plus one byte (so it can be refused)."""
    files = field.data or []
    return [
        (f.read(picture_files.MAX_BYTES + 1), f.filename or "") for f in files if getattr(f, "filename", "")
    ]




@bp.route("/consultations/<int:consultation_id>/proposals/new", methods=["GET", "POST"])
@login_required
def create_proposal(consultation_id: int):
    """Add a proposal with its pictures (moderators)."""
    consultation = consultation_or_404(consultation_id, current_user, moderate=True)
    form = ProposalForm()
    if form.validate_on_submit():
        try:
            proposal = proposals.create_proposal(
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
            with audit.refusal_recorded(db.session, current_user, "proposal.version_refused", proposal,
                                        community_id=proposal.consultation.community_id):
                version = proposals.add_version(
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
    number = inputs.id_arg("version") or found.current_version.number
    version = found.version(number)
    if version is None:
        raise NotFound(_("找不到该版本"))
    diff_number = inputs.id_arg("diff")
    diff = proposals.version_diff(found, diff_number) if diff_number else None
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
    # Read whole: pictures are re-encoded to at most 1600 px wide, and no file handle outlives the request.
    response = Response(proposals.picture_file(found), mimetype=found.content_type)
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


