"""Pages of written proxies (委托) on the voting blueprint: the moderators' list (record a signed paper form
with its photo, revoke), the owner's "authorise someone / revoke", the proxy holder's ballot page, the photo
(moderators only) and the printable authorisation form (委托书, A4 PDF)."""

from __future__ import annotations

import segno
from flask import Response, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from markupsafe import Markup
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from deliberation import audit, documents
from deliberation.accounts.forms import EmptyForm
from deliberation.accounts.models import Building
from deliberation.consultations import pictures
from deliberation.errors import DomainError, Invalid
from deliberation.extensions import db
from deliberation.forms import show_errors
from deliberation.limits import ballot_limit
from deliberation.pagination import page_number
from deliberation.voting import labels, lifecycle, live, paperforms, proxies
from deliberation.voting.access import vote_or_404
from deliberation.voting.forms import FREE, AuthoriseForm, ProxyForm
from deliberation.voting.models import Vote, VoteKind
from deliberation.voting.routes import bp


def _buildings(vote: Vote) -> list[SelectChoice]:
    return [SelectChoice(b.id, b.name) for b in db.session.execute(
        select(Building).where(Building.community_id == vote.community_id).order_by(Building.sort_key)).scalars()]


def instruction_choices(vote: Vote) -> list[SelectChoice]:
    """The instructions a page offers: the vote's answers (a proposal's three, a single choice's options) and
    由受托人决定; approval and ranked instructions are recorded through the API."""
    if vote.kind == VoteKind.PROPOSAL:
        choices = [SelectChoice(key, label) for key, label in labels.choice_labels().items()]
    elif vote.kind == VoteKind.SINGLE:
        choices = [SelectChoice(option.key, option.label) for option in vote.options]
    else:
        choices = []
    return [*choices, SelectChoice(FREE, _("由受托人决定"))]


def _instruction(form: AuthoriseForm) -> str | None:
    return None if form.instruction.data == FREE else form.instruction.data


def _person(vote: Vote, building_id, room: str, name: str, field: str) -> int:
    person = proxies.find_person(db.session, vote.community_id, building_id, room, name)
    if person is None:
        message = _("名册上找不到这个人（请核对楼栋、室号和姓名）")
        raise Invalid(message, fields={f"{field}_name": message})
    return person.id


@bp.route("/votes/<int:vote_id>/proxies", methods=["GET", "POST"])
@login_required
def proxy_list(vote_id: int):
    """The vote's written proxies (moderators): record a signed paper form with its photo; revoke one."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user, moderate=True))
    form = ProxyForm()
    form.owner_building_id.choices = form.proxy_building_id.choices = _buildings(vote)
    form.instruction.choices = instruction_choices(vote)
    status = 200
    if form.validate_on_submit():
        try:
            with audit.refusal_recorded(db.session, current_user, "proxy.refused", vote):
                upload = form.document.data
                data = upload.read(pictures.MAX_BYTES + 1) if upload is not None and upload.filename else b""
                document = pictures.clean_picture(data, upload.filename) if data else None
                proxies.record_proxy(
                    db.session, current_user, vote,
                    _person(vote, form.owner_building_id.data, form.owner_room.data, form.owner_name.data, "owner"),
                    _person(vote, form.proxy_building_id.data, form.proxy_room.data, form.proxy_name.data, "proxy"),
                    _instruction(form), document=document)
        except DomainError as error:
            if "pictures" in error.fields:
                error.fields["document"] = error.fields.pop("pictures")
            for key in ("owner", "proxy"):
                if key in error.fields:
                    error.fields[f"{key}_name"] = error.fields.pop(key)
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("已录入委托"))
            return redirect(url_for(".proxy_list", vote_id=vote.id))
    elif form.is_submitted():
        status = 422
    page = proxies.vote_proxies(db.session, current_user, vote, page=page_number())
    return render_template("voting/proxies.html", vote=vote, form=form, page=page, state=vote.state,
                           limit=proxies.proxy_limit(), empty_form=EmptyForm()), status


@bp.post("/votes/<int:vote_id>/proxies/revoke")
@login_required
def revoke_proxy(vote_id: int):
    """Revoke a written proxy before it is used: the owner on the vote page, a moderator on the list."""
    vote = vote_or_404(vote_id, current_user)
    back = (url_for(".proxy_list", vote_id=vote.id) if vote.can_moderate(current_user)
            and request.form.get("back") == "list" else url_for(".detail", vote_id=vote.id))
    if not EmptyForm().validate_on_submit():
        flash(_("请求有误，请刷新页面后重试"), "error")
        return redirect(back)
    wanted = request.form.get("proxy_id", "")
    try:
        with audit.refusal_recorded(db.session, current_user, "proxy.refused", vote):
            proxies.revoke_proxy(db.session, current_user, vote, int(wanted) if wanted.isdigit() else None)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(back, 303)
    db.session.commit()
    flash(_("委托已撤销"))
    return redirect(back)


@bp.route("/votes/<int:vote_id>/authorise", methods=["GET", "POST"])
@login_required
def authorise(vote_id: int):
    """An owner authorises someone to vote for them (委托), with their instruction."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    form = AuthoriseForm()
    form.proxy_building_id.choices = _buildings(vote)
    form.instruction.choices = instruction_choices(vote)
    status = 200
    if form.validate_on_submit():
        try:
            with audit.refusal_recorded(db.session, current_user, "proxy.refused", vote):
                proxies.record_proxy(
                    db.session, current_user, vote, current_user.person_id,
                    _person(vote, form.proxy_building_id.data, form.proxy_room.data, form.proxy_name.data, "proxy"),
                    _instruction(form))
        except DomainError as error:
            if "proxy" in error.fields:
                error.fields["proxy_name"] = error.fields.pop("proxy")
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("委托已生效：受托人将按您的意见投票；受托人投票前您可以撤销，您自己先投票则以您的选票为准"))
            return redirect(url_for(".detail", vote_id=vote.id))
    elif form.is_submitted():
        status = 422
    return render_template("voting/authorise.html", vote=vote, form=form, state=vote.state,
                           limit=proxies.proxy_limit()), status


@bp.route("/votes/<int:vote_id>/proxy-ballot", methods=["GET", "POST"])
@login_required
@ballot_limit
def proxy_ballot(vote_id: int):
    """The proxy holder's ballot page: each owner who authorised them, the unit, the instruction, and its cast."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    if request.method == "POST":
        wanted = request.form.get("proxy_id", "")
        if not EmptyForm().validate_on_submit():
            flash(_("请求有误，请刷新页面后重试"), "error")
            return redirect(url_for(".proxy_ballot", vote_id=vote.id))
        try:
            with audit.refusal_recorded(db.session, current_user, "ballot.proxy_refused", vote):
                proxies.cast_by_proxy(db.session, current_user, vote, int(wanted) if wanted.isdigit() else None,
                                      request.form.get("choice", ""))
        except DomainError as error:
            flash(error.message, "error")
            return redirect(url_for(".proxy_ballot", vote_id=vote.id), 303)
        db.session.commit()
        live.publish(vote.id)
        flash(_("已按委托投票；回执码已发给业主本人"))
        return redirect(url_for(".proxy_ballot", vote_id=vote.id))
    _given, held = proxies.my_proxies(db.session, current_user, vote)
    return render_template("voting/proxy_ballot.html", vote=vote, held=held, state=vote.state,
                           choices=instruction_choices(vote)[:-1], empty_form=EmptyForm())


@bp.get("/votes/<int:vote_id>/proxies/document")
@login_required
def proxy_document(vote_id: int):
    """The photo of a signed paper authorisation (moderators only): ?proxy=ID."""
    vote = vote_or_404(vote_id, current_user, moderate=True)
    wanted = request.args.get("proxy", "")
    proxy = proxies.proxy_of(db.session, vote, int(wanted) if wanted.isdigit() and len(wanted) < 10 else None)
    path = proxies.document_path(current_user, vote, proxy)
    kind = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}.get(path.suffix.lstrip("."), "image/jpeg")
    response = Response(path.read_bytes(), mimetype=kind)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/votes/<int:vote_id>/proxy-form.pdf")
@login_required
def proxy_form_pdf(vote_id: int):
    """The printable authorisation form (委托书, A4): the owner's own, a unit's (?building=ID&room=302), or blank."""
    vote = lifecycle.catch_up(db.session, vote_or_404(vote_id, current_user))
    wanted = request.args.get("building", "")
    try:
        sheet = proxies.authorisation_sheet(db.session, current_user, vote,
                                            building_id=int(wanted) if wanted.isdigit() and len(wanted) < 10 else None,
                                            room=request.args.get("room", "").strip()[:20] or None)
    except DomainError as error:
        flash(error.message, "error")
        return redirect(url_for(".detail", vote_id=vote.id))
    link = url_for(".detail", vote_id=vote.id, _external=True)
    qr = Markup(segno.make(link, error="m").svg_inline(  # noqa: S704 -- SVG drawn by segno from our own URL
        scale=4, border=1, omitsize=True))
    html = render_template("voting/proxy_form.html", vote=vote, sheet=sheet, qr=qr,
                           options=paperforms.form_options(db.session, vote),
                           version=paperforms.proposal_version(vote), rule_text=labels.rule_text(vote),
                           proposal_title=paperforms.proposal_title(db.session, vote))
    pdf = documents.render_pdf(html, base_url=request.url_root)
    return documents.download(pdf, f"{vote.title}-委托书-{sheet.units or _('空白')}.pdf", documents.PDF_TYPE,
                              inline=True)
