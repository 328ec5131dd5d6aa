"""The counter (帮办): a moderator or floor captain records, on a resident's behalf, a comment, a survey answer
or an open vote's ballot, with how the resident consented; and the resident revises a comment recorded for
them. The operations are the capabilities' own (consultations.assisted, surveys.assisted, voting.assisted)."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from deliberation import audit
from deliberation.accounts.access import community_or_404
from deliberation.accounts.assisted import find_residents, resident_for
from deliberation.accounts.models import Community
from deliberation.consultations import assisted as comments_at_counter
from deliberation.consultations.access import consultation_or_404
from deliberation.consultations.models import Consultation
from deliberation.counter.forms import AssistedCommentForm, ConsentForm, RevisedCommentForm
from deliberation.errors import DomainError, NotFound, require
from deliberation.extensions import db
from deliberation.forms import show_errors
from deliberation.surveys import assisted as surveys_at_counter
from deliberation.surveys.answering import answers_of
from deliberation.surveys.forms import answers_from_form
from deliberation.surveys.models import Survey
from deliberation.voting import assisted as ballots_at_counter
from deliberation.voting import live
from deliberation.voting.forms import choice_from_form
from deliberation.voting.labels import describe_choice, source_label
from deliberation.voting.models import Vote

bp = Blueprint("counter", __name__)


def _counter_or_404(community_id: int) -> Community:
    """The community's counter: 404 for another community, 403 for who serves at none of its desks."""
    community = community_or_404(community_id, current_user)
    require(community.can_serve_counter(current_user), _("只有主持人或楼组长可以代为录入"))
    return community


def _of_community(model, object_id: int, community: Community, message: str):
    """A vote, survey or session of this community; any other id does not exist (404)."""
    found = db.session.get(model, object_id)
    if found is None or found.community_id != community.id:
        raise NotFound(message)
    return found


@bp.get("/communities/<int:community_id>/counter")
@login_required
def search(community_id: int):
    """代为录入: find the resident (name, or building and room) whose entry is recorded."""
    community = _counter_or_404(community_id)
    query = request.args.get("q", "").strip()[:50]
    found = find_residents(db.session, current_user, community, query)
    return render_template("counter/search.html", community=community, query=query, found=found)


@bp.get("/communities/<int:community_id>/counter/residents/<int:person_id>")
@login_required
def resident(community_id: int, person_id: int):
    """What the resident may be helped with now: open votes, open surveys, sessions taking comments."""
    community = _counter_or_404(community_id)
    person = resident_for(db.session, current_user, community, person_id)
    return render_template(
        "counter/resident.html", community=community, person=person,
        votes=ballots_at_counter.votes_for(db.session, person),
        surveys=surveys_at_counter.surveys_for(db.session, person),
        sessions=comments_at_counter.sessions_taking_comments(db.session, person))


@bp.route("/communities/<int:community_id>/counter/residents/<int:person_id>/votes/<int:vote_id>",
          methods=["GET", "POST"])
@login_required
def ballot(community_id: int, person_id: int, vote_id: int):
    """Record the resident's ballot of an open vote that is not secret (a secret one: paper forms)."""
    community = _counter_or_404(community_id)
    person = resident_for(db.session, current_user, community, person_id)
    vote = _of_community(Vote, vote_id, community, _("找不到该表决"))
    form = ConsentForm()
    # What is there before it is changed; the choice itself only for those who may see who chose what.
    current = None if vote.secret else ballots_at_counter.ballot_of_person(db.session, vote, person)
    status = 200
    if vote.secret and request.method == "GET":
        status = 409  # the page says why: paper forms
    elif form.validate_on_submit():  # a secret vote's POST is refused by the service, and audited
        try:
            with audit.refusal_recorded(db.session, current_user, "ballot.assisted_refused", vote):
                result = ballots_at_counter.record_ballot(db.session, current_user, vote, person,
                                                          choice_from_form(vote, request.form), form.consent.data)
        except DomainError as error:
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            live.publish(vote.id)
            flash(_("已为%(name)s录入选票：%(choice)s。回执码 %(code)s，请交给居民保存。", name=person.name,
                    choice=describe_choice(vote, result.choice), code=result.receipt))
            return redirect(url_for(".resident", community_id=community.id, person_id=person.id))
    elif request.method == "POST":
        status = 422
    return render_template(
        "counter/ballot.html", community=community, person=person, vote=vote, form=form,
        chosen=request.form.getlist("choice"), current=current,
        current_choice=describe_choice(vote, current.choice) if current and vote.can_see_ballots(current_user) else "",
        current_source=source_label(current.source) if current else ""), status


@bp.route("/communities/<int:community_id>/counter/residents/<int:person_id>/surveys/<int:survey_id>",
          methods=["GET", "POST"])
@login_required
def survey(community_id: int, person_id: int, survey_id: int):
    """Record the resident's answers to an open survey that is not anonymous (an anonymous one: paper)."""
    community = _counter_or_404(community_id)
    person = resident_for(db.session, current_user, community, person_id)
    survey = _of_community(Survey, survey_id, community, _("找不到该问卷"))
    form = ConsentForm()
    given = answers_of(surveys_at_counter.response_of(db.session, survey, person))
    errors: dict = {}
    status = 200
    if survey.anonymous and request.method == "GET":
        status = 409  # the page says why: paper questionnaires
    elif request.method == "POST":
        given = answers_from_form(survey, request.form)
        if form.validate_on_submit():
            try:
                surveys_at_counter.record_response(db.session, current_user, survey, person, given,
                                                   form.consent.data)
            except DomainError as error:
                db.session.rollback()
                show_errors(form, error)
                errors, status = error.fields, error.status
            else:
                db.session.commit()
                flash(_("已为%(name)s录入问卷答卷", name=person.name))
                return redirect(url_for(".resident", community_id=community.id, person_id=person.id))
        else:
            status = 422
    return render_template("counter/survey.html", community=community, person=person, survey=survey, form=form,
                           given=given, errors=errors), status


@bp.route("/communities/<int:community_id>/counter/residents/<int:person_id>/consultations/<int:consultation_id>",
          methods=["GET", "POST"])
@login_required
def comment(community_id: int, person_id: int, consultation_id: int):
    """Record the resident's comment in the session's open round."""
    community = _counter_or_404(community_id)
    person = resident_for(db.session, current_user, community, person_id)
    consultation = _of_community(Consultation, consultation_id, community, _("找不到该议事"))
    form = AssistedCommentForm()
    status = 200
    if form.validate_on_submit():
        try:
            comments_at_counter.record_comment(db.session, current_user, consultation, person, form.body.data,
                                               form.consent.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("已为%(name)s录入意见", name=person.name))
            return redirect(url_for(".resident", community_id=community.id, person_id=person.id))
    elif request.method == "POST":
        status = 422
    return render_template("counter/comment.html", community=community, person=person, consultation=consultation,
                           form=form), status


@bp.route("/consultations/<int:consultation_id>/comments/<int:comment_id>/revise", methods=["GET", "POST"])
@login_required
def revise(consultation_id: int, comment_id: int):
    """The resident changes a comment recorded for them at the counter; it becomes their own."""
    consultation = consultation_or_404(consultation_id, current_user)
    found = comments_at_counter.comment_of(db.session, consultation, comment_id)
    require(found.can_revise(current_user), _("只有该居民本人可以修改代为录入的意见，且须在本轮意见征集结束前"))
    form = RevisedCommentForm(data={"body": found.body} if request.method == "GET" else None)
    status = 200
    if form.validate_on_submit():
        try:
            comments_at_counter.revise_comment(db.session, current_user, found, form.body.data)
        except DomainError as error:
            db.session.rollback()
            show_errors(form, error)
            status = error.status
        else:
            db.session.commit()
            flash(_("已保存您修改后的意见"))
            return redirect(url_for("consultations.detail", consultation_id=consultation.id,
                                    _anchor=f"comment-{found.id}"))
    elif request.method == "POST":
        status = 422
    return render_template("counter/revise.html", consultation=consultation, comment=found, form=form), status
