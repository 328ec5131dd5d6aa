"""Whom a survey tells what: those who may answer it when it opens (at publishing, or at its opens_at) and
when its results are out (closed by the moderator, or by its closes_at), and those who have not answered yet
on the reminder days before the close (consultations.reminders).

Who may answer is respondents.eligible_ids (the session's eligibility, else the community); who answered is
survey_participations (online or on paper, whatever the anonymity) with a submitted response: a draft left
unsubmitted is not taking part yet. The rounds "open" and "results" are
claimed in notice_rounds, so each is sent once however the survey got there.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from deliberation.accounts.models import User
from deliberation.consultations import reminders
from deliberation.consultations.notifications import notify, read_about
from deliberation.formatting import format_datetime
from deliberation.surveys.lists import open_clause
from deliberation.surveys.models import Participation, Response, Survey, SurveyState
from deliberation.surveys.respondents import eligible_ids, respondent_key

SUBJECT = "survey"
CALLS = ("survey", "reminder")  # the kinds of the notices that ask for an answer: the opening's, the reminders
LATE = timedelta(days=1)  # an opening or a close the clock passed longer ago than this is not announced any more


def eligible_users(session: Session, survey: Survey, *, waiting: bool = False) -> list[int]:
    """The active users who may answer the survey; ``waiting``: only those who have not submitted a response
    (none begun, or a draft left unsubmitted — found by its respondent key, anonymous ones too): two queries."""
    began = exists().where(Participation.survey_id == survey.id, Participation.person_id == User.person_id)
    rows = session.execute(select(User.id, User.person_id, began).where(
        User.person_id.in_(eligible_ids(session, survey)), User.is_active_account.is_(True))).all()
    if not waiting:
        return [uid for uid, _person, _began in rows]
    keys = {respondent_key(survey, person_id): person_id for _uid, person_id, started in rows if started}
    drafts = set(session.execute(select(Response.respondent_key).where(
        Response.survey_id == survey.id, Response.respondent_key.in_(list(keys)),
        Response.submitted_at.is_(None))).scalars()) if keys else set()
    unfinished = {keys[key] for key in drafts}
    return [uid for uid, person_id, started in rows if not started or person_id in unfinished]


def link(survey: Survey) -> str:
    return f"/surveys/{survey.id}"


def answered(session: Session, user_id: int, survey: Survey) -> int:
    """The user submitted their answer: the notices that asked for it (the opening's, the reminders) are read,
    in the answer's transaction. The results' notice links elsewhere and stays."""
    return read_about(session, user_id, link(survey), CALLS)


def announce_opening(session: Session, survey: Survey, now: datetime) -> int:
    """The survey is open (published, its opens_at come): tell those who may answer, once."""
    if "open" not in reminders.claim_rounds(session, SUBJECT, survey.id, ["open"], now):
        return 0

    def text() -> str:
        if survey.closes_at is None:
            return _("新问卷“%(title)s”已开始，欢迎填写", title=survey.title)
        return _("新问卷“%(title)s”已开始，请在 %(when)s 前填写", title=survey.title,
                 when=format_datetime(survey.closes_at))
    return notify(session, eligible_users(session, survey), "survey", text, link(survey))


def announce_results(session: Session, survey: Survey, now: datetime) -> int:
    """The survey has closed and its results are open to residents (Survey.can_see_results): tell those who
    may answer, once."""
    if "results" not in reminders.claim_rounds(session, SUBJECT, survey.id, ["results"], now):
        return 0
    return notify(session, eligible_users(session, survey), "survey",
                  lambda: _("问卷“%(title)s”已截止，可以查看结果", title=survey.title),
                  f"/surveys/{survey.id}/results")


def due(session: Session, now: datetime) -> int:
    """The clock's part: openings at opens_at, results at closes_at (a day late at most), and reminders."""
    published = Survey.state == SurveyState.OPEN
    opening = session.execute(select(Survey).where(
        published, Survey.opens_at <= now, Survey.opens_at > now - LATE,
        Survey.published_at < Survey.opens_at).order_by(Survey.id)).scalars().all()
    closing = session.execute(select(Survey).where(
        published, Survey.closes_at <= now, Survey.closes_at > now - LATE).order_by(Survey.id)).scalars().all()
    open_now = session.execute(select(Survey).where(
        open_clause(now), Survey.closes_at <= now + timedelta(days=reminders.MAX_DAYS), Survey.reminder_days != "",
    ).order_by(Survey.id)).scalars().all()
    done = reminders.rounds_done(session, SUBJECT, sorted({s.id for s in [*opening, *closing, *open_now]}))
    told = 0
    for survey in opening:
        if "open" not in done[survey.id]:
            told += announce_opening(session, survey, now)
    for survey in closing:
        if "results" not in done[survey.id]:
            told += announce_results(session, survey, now)
    for survey in open_now:
        opened = max(moment for moment in (survey.published_at, survey.opens_at) if moment is not None)
        day, rounds = reminders.due_days(opened, survey.closes_at, survey.reminder_days, done[survey.id], now)
        claimed = reminders.claim_rounds(session, SUBJECT, survey.id, rounds, now)
        if day is None or f"remind:{day}" not in claimed:
            continue
        waiting = reminders.claim_reminders(session, SUBJECT, survey.id, day,
                                            eligible_users(session, survey, waiting=True), now)
        told += notify(session, waiting, "reminder", lambda survey=survey: _(
            "问卷“%(title)s”将于 %(when)s 截止，您还没有填写", title=survey.title,
            when=format_datetime(survey.closes_at)), link(survey))
    return told


if due not in reminders.sources:
    reminders.sources.append(due)
