"""Whom a vote tells what: its electorate when it opens, when its result is posted and when it is announced,
and those who have not voted yet on the reminder days before the close (consultations.reminders).

The electorate is the frozen one (vote_voters): a person is in it when a row names them. Someone took part
when a ballot carries their row's voter key — online, on paper or by proxy, and a co-owner's ballot for the
whole flat — or, after a secret vote's close, when the row says so (took_part).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import Connection, exists, select
from sqlalchemy.orm import Session

from deliberation.accounts.models import User
from deliberation.consultations import reminders
from deliberation.consultations.notifications import notify, read_about, read_about_parameters
from deliberation.formatting import format_datetime
from deliberation.voting.models import Ballot, Vote, VoteVoter

SUBJECT = "vote"
CALLS = ("vote", "reminder")  # the kinds of the notices that ask for a ballot: the opening's, the reminders


def page(vote_id: int) -> str:
    return f"/votes/{vote_id}"


def link(vote: Vote) -> str:
    return page(vote.id)


def voted(db: Session | Connection, user_id: int, vote_id: int, now: datetime | None = None) -> int:
    """The user cast or changed a ballot: the notices that asked them to vote (the opening's, the reminders) are
    read, in the ballot's transaction."""
    return read_about(db, user_id, page(vote_id), CALLS, now)


def voted_parameters(user_id: int, vote_id: int, now: datetime) -> dict:
    """What `voted` reads, as the parameters of READ_ABOUT run inside another statement (voting.quick)."""
    return read_about_parameters(user_id, page(vote_id), CALLS, now)


def electorate_users(session: Session, vote: Vote, *, waiting: bool = False) -> list[int]:
    """The active users whose person is in the vote's frozen electorate; ``waiting``: only those none of whose
    rows has a ballot (or took part): two queries."""
    took_part = VoteVoter.took_part | exists().where(Ballot.vote_id == VoteVoter.vote_id,
                                                     Ballot.voter_key == VoteVoter.voter_key)
    rows = session.execute(select(VoteVoter.person_ids, took_part).where(VoteVoter.vote_id == vote.id)).all()
    persons = {int(p) for ids, _done in rows for p in ids or []}
    if waiting:
        persons -= {int(p) for ids, done in rows if done for p in ids or []}
    if not persons:
        return []
    return list(session.execute(select(User.id).where(User.person_id.in_(sorted(persons)),
                                                      User.is_active_account.is_(True))).scalars())


def announce_opening(session: Session, vote: Vote) -> int:
    """The vote has opened (lifecycle: by hand or on schedule, once): tell its electorate."""
    def text() -> str:
        if vote.closes_at is None:
            return _("表决“%(title)s”已开始，请及时投票", title=vote.title)
        return _("表决“%(title)s”已开始，请在 %(when)s 前投票", title=vote.title,
                 when=format_datetime(vote.closes_at))
    return notify(session, electorate_users(session, vote), "vote", text, link(vote))


def announce_result(session: Session, vote: Vote) -> int:
    """The result is posted at the close (preliminary, open to objections until objections_until) or
    announced (final): tell the electorate."""
    def text() -> str:
        if vote.announced_at is not None:
            return _("表决“%(title)s”的结果已公告", title=vote.title)
        return _("表决“%(title)s”已结束，结果公示至 %(when)s，如有异议请在表决页提出", title=vote.title,
                 when=format_datetime(vote.objections_until))
    return notify(session, electorate_users(session, vote), "vote", text, link(vote))


def remind(session: Session, now: datetime) -> int:
    """Remind those of each open vote's electorate who have not voted, on the vote's reminder days."""
    votes = session.execute(select(Vote).where(
        Vote.opened_at.is_not(None), Vote.closed_at.is_(None), Vote.closes_at > now,
        Vote.closes_at <= now + timedelta(days=reminders.MAX_DAYS), Vote.reminder_days != "",
    ).order_by(Vote.id)).scalars().all()
    done = reminders.rounds_done(session, SUBJECT, [vote.id for vote in votes])
    told = 0
    for vote in votes:
        day, rounds = reminders.due_days(vote.opened_at, vote.closes_at, vote.reminder_days, done[vote.id], now)
        claimed = reminders.claim_rounds(session, SUBJECT, vote.id, rounds, now)
        if day is None or f"remind:{day}" not in claimed:
            continue
        waiting = reminders.claim_reminders(session, SUBJECT, vote.id, day,
                                            electorate_users(session, vote, waiting=True), now)
        told += notify(session, waiting, "reminder", lambda vote=vote: _(
            "表决“%(title)s”将于 %(when)s 结束，您还没有投票", title=vote.title,
            when=format_datetime(vote.closes_at)), link(vote))
    return told


if remind not in reminders.sources:
    reminders.sources.append(remind)
