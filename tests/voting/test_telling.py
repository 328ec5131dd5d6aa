"""Whom a vote tells what: the opening and the result to its electorate (in each one's language, with the
vote's link), and reminders before the close to those who have not voted — never to those who have."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import delete, func, select

from deliberation.consultations.models import NoticeRound, Notification, ReminderSent
from deliberation.consultations.notifications import notify
from deliberation.consultations.reminders import check_days, due_days, send_due
from deliberation.db import utcnow
from deliberation.errors import Invalid
from deliberation.extensions import db
from deliberation.formatting import format_datetime
from deliberation.jobs.models import Channel, Delivery
from deliberation.voting import proxies
from deliberation.voting.announcement import announce
from deliberation.voting.awaiting import catch_up_all
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import catch_up, close_vote
from deliberation.voting.paper import PaperEntry, enter_paper_ballots
from tests.announced import run_window

OWNERS = ("wang", "li", "zhao")


def told(session, kind: str) -> list[int]:
    """Who got a notice of this kind, once per notice, in order."""
    return list(session.execute(select(Notification.user_id).where(Notification.kind == kind)
                                .order_by(Notification.user_id, Notification.id)).scalars())


def ids(residents, *names) -> list[int]:
    return sorted(residents[name].id for name in names)


def before_close(vote, days: int, minutes: int = 1):
    """A moment ``minutes`` after the reminder of ``days`` days before the close became due (negative: before)."""
    return vote.closes_at - timedelta(days=days) + timedelta(minutes=minutes)


# -- the opening and the result ------------------------------------------------------------------


def test_the_opening_tells_the_electorate_each_in_their_language(session, make_vote, residents, secretary):
    residents["wang"].locale = "en"
    session.commit()
    vote = make_vote(title="是否同意方案一")
    notes = {n.user_id: n for n in session.execute(select(Notification).where(Notification.kind == "vote"))
             .scalars()}
    assert sorted(notes) == ids(residents, *residents)  # five adults of the roster; the secretary has no person
    assert notes[residents["li"].id].text == "表决“是否同意方案一”已开始，请及时投票"
    assert notes[residents["wang"].id].text == "The vote “是否同意方案一” has opened: please cast your ballot"
    assert {n.link for n in notes.values()} == {f"/votes/{vote.id}"}


def test_an_owners_vote_opening_tells_only_its_owners_with_the_deadline(session, make_vote, residents):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    assert told(session, "vote") == ids(residents, *OWNERS)
    text = session.execute(select(Notification.text).where(Notification.kind == "vote")).scalars().first()
    assert text == f"表决“{vote.title}”已开始，请在 {format_datetime(vote.closes_at)} 前投票"


def test_a_scheduled_opening_tells_once_whoever_catches_it_up(session, make_vote, residents):
    vote = make_vote(open_now=False)
    vote.opens_at = utcnow() - timedelta(minutes=1)  # its time has come, as the clock would have it
    session.commit()
    catch_up_all(session, utcnow())  # the scheduler's minute finds it first
    session.commit()
    assert vote.opened_at is not None
    catch_up(session, vote)  # then a page meets it
    catch_up_all(session, utcnow())
    send_due(session, utcnow())
    assert told(session, "vote") == ids(residents, *residents)


def last_notice(session) -> int:
    return session.execute(select(func.max(Notification.id))).scalar() or 0


def told_since(session, since: int) -> dict[int, Notification]:
    """The notices written after the notice ``since``, by recipient (one each here)."""
    return {n.user_id: n for n in session.execute(select(Notification).where(Notification.id > since)).scalars()}


def test_an_advisory_vote_announced_at_its_close_tells_the_result(session, make_vote, residents, secretary):
    residents["wang"].locale = "en"
    session.commit()
    vote = make_vote(objection_days=0)
    opened = last_notice(session)
    close_vote(session, secretary, vote)
    notes = told_since(session, opened)
    assert sorted(notes) == ids(residents, *residents)
    assert notes[residents["li"].id].text == f"表决“{vote.title}”的结果已公告"
    assert notes[residents["wang"].id].text == f"The result of the vote “{vote.title}” has been announced"
    assert {n.link for n in notes.values()} == {f"/votes/{vote.id}"}


def test_an_owners_vote_tells_the_posted_result_then_the_announcement(session, make_vote, residents, secretary):
    residents["wang"].locale = "en"
    session.commit()
    vote = make_vote(basis="owner")
    opened = last_notice(session)
    close_vote(session, secretary, vote)
    posted = told_since(session, opened)
    assert sorted(posted) == ids(residents, *OWNERS)
    until = format_datetime(vote.objections_until)
    assert posted[residents["li"].id].text == (f"表决“{vote.title}”已结束，结果公示至 {until}，"
                                                "如有异议请在表决页提出")
    assert posted[residents["wang"].id].text == (f"The vote “{vote.title}” has closed; its result is posted until "
                                                 f"{until} — raise any objection on the vote's page")
    assert {n.link for n in posted.values()} == {f"/votes/{vote.id}"}
    run_window(session, vote)
    closed = last_notice(session)
    announce(session, secretary, vote)
    announced = told_since(session, closed)
    assert sorted(announced) == ids(residents, *OWNERS)
    assert announced[residents["li"].id].text == f"表决“{vote.title}”的结果已公告"
    assert announced[residents["wang"].id].text == f"The result of the vote “{vote.title}” has been announced"
    assert {n.link for n in announced.values()} == {f"/votes/{vote.id}"}


# -- reminders -------------------------------------------------------------------------------------


def take_part(how: str, session, vote, residents, secretary) -> str:
    """Let one owner take part in the vote this way; the owner's name."""
    if how in ("online", "online_secret"):
        cast_ballot(session, residents["wang"], vote, "agree")
        return "wang"
    if how == "paper":
        building = residents["li"].person.household.unit.building
        [outcome] = enter_paper_ballots(session, secretary, vote, building, [PaperEntry("101", "1", line=1)])
        assert outcome.status == "recorded"
        return "li"
    if how == "proxy":
        wang, tenant = residents["wang"], residents["tenant"]
        proxy = proxies.record_proxy(session, wang, vote, wang.person_id, tenant.person_id, "agree")
        proxies.cast_by_proxy(session, tenant, vote, proxy.id, "agree")
        return "wang"
    raise AssertionError(how)


@pytest.mark.parametrize("how", ["online", "online_secret", "paper", "proxy"])
def test_a_voter_is_never_reminded_whichever_way_they_voted(session, make_vote, residents, secretary, how):
    vote = make_vote(basis="owner", secret=how == "online_secret", closes_at=utcnow() + timedelta(days=5))
    voter = take_part(how, session, vote, residents, secretary)
    session.commit()
    send_due(session, before_close(vote, 1))
    waiting = [name for name in OWNERS if name != voter]
    assert told(session, "reminder") == ids(residents, *waiting)  # the tenant (no owner) is not in it either


def test_each_is_reminded_once_and_a_second_run_sends_nothing(session, make_vote, residents):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    assert send_due(session, before_close(vote, 1, minutes=-1)) == 0  # not yet
    assert send_due(session, before_close(vote, 1)) == 3
    session.commit()
    assert send_due(session, before_close(vote, 1, minutes=2)) == 0
    assert told(session, "reminder") == ids(residents, *OWNERS)
    note = session.execute(select(Notification).where(Notification.kind == "reminder")).scalars().first()
    assert note.link == f"/votes/{vote.id}"
    assert note.text == f"表决“{vote.title}”将于 {format_datetime(vote.closes_at)} 结束，您还没有投票"


def test_a_reminder_by_sms_and_email_carries_the_sites_address(app, session, make_vote, residents):
    """Sent by the scheduler, outside any request: the link is the site's (SITE_URL), one can open it."""
    app.config |= {"SITE_URL": "https://yishi.example.org", "SMTP_URL": "smtp://mail.example.org:25",
                   "DELIVER_AFTER_COMMIT": False}
    wang = residents["wang"]
    wang.email, wang.notify_email, wang.notify_sms = "wang@example.org", True, True
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    session.execute(delete(Delivery))
    send_due(session, before_close(vote, 1))
    session.commit()
    sent = dict(session.execute(select(Delivery.channel, Delivery.body).where(Delivery.user_id == wang.id)).all())
    page = f"https://yishi.example.org/votes/{vote.id}"
    assert sent[Channel.SMS].endswith(f"您还没有投票 {page}")
    assert sent[Channel.EMAIL].endswith(f"查看详情：{page}")


def test_reminders_three_days_and_one_day_before_each_at_its_time(session, make_vote, residents):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5), reminder_days="3, 1")
    assert vote.reminder_days == "3,1"
    send_due(session, before_close(vote, 3, minutes=-1))
    assert told(session, "reminder") == []
    send_due(session, before_close(vote, 3))
    assert told(session, "reminder") == ids(residents, *OWNERS)
    cast_ballot(session, residents["zhao"], vote, "agree")  # zhao votes between the two reminders
    send_due(session, before_close(vote, 2))
    send_due(session, before_close(vote, 1))
    assert told(session, "reminder") == sorted([*ids(residents, *OWNERS), *ids(residents, "wang", "li")])
    days = session.execute(select(ReminderSent.days, func.count()).group_by(ReminderSent.days)
                           .order_by(ReminderSent.days)).all()
    assert [tuple(row) for row in days] == [(1, 2), (3, 3)]


def test_a_closed_vote_reminds_nobody(session, make_vote, residents, secretary):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    close_vote(session, secretary, vote)
    assert send_due(session, before_close(vote, 1)) == 0
    assert told(session, "reminder") == []


def test_a_vote_without_reminder_days_reminds_nobody(session, make_vote, residents):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5), reminder_days="")
    assert send_due(session, before_close(vote, 1)) == 0


def test_days_missed_together_send_only_the_nearest(session, make_vote, residents):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5), reminder_days="3,1")
    send_due(session, before_close(vote, 1))  # the scheduler was down for two days
    send_due(session, before_close(vote, 1, minutes=5))
    assert told(session, "reminder") == ids(residents, *OWNERS)
    assert set(session.execute(select(ReminderSent.days)).scalars()) == {1}


def test_a_worker_that_missed_the_round_still_reminds_nobody_twice(session, make_vote, residents):
    """The per-person key holds on its own: even with the round's record gone, nobody is told again."""
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    send_due(session, before_close(vote, 1))
    session.commit()
    session.execute(delete(NoticeRound).where(NoticeRound.subject == "vote"))
    assert send_due(session, before_close(vote, 1, minutes=1)) == 0
    assert told(session, "reminder") == ids(residents, *OWNERS)


def test_two_workers_at_once_remind_each_person_once(app, session, make_vote, residents):
    """Two schedulers run the same minute, each in its own transaction and connection: one sends, one finds the
    round claimed and tells nobody."""
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    moment = before_close(vote, 1)
    owners = ids(residents, *OWNERS)
    session.commit()
    session.close()
    barrier = threading.Barrier(2)
    results: list = [None, None]

    def work(n: int) -> None:
        try:
            with app.app_context():
                barrier.wait(timeout=60)
                results[n] = send_due(db.session, moment)
                db.session.commit()
        except BaseException as error:  # reported below
            results[n] = error

    threads = [threading.Thread(target=work, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert sorted(results) == [0, 3], results
    assert told(session, "reminder") == owners


def test_the_command_sends_what_is_due(app, session, make_vote, residents):
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(hours=12))
    vote.opened_at = utcnow() - timedelta(days=2)  # opened long enough ago for the one-day reminder
    session.commit()
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    assert "已通知 3 人次" in result.output
    assert told(session, "reminder") == ids(residents, *OWNERS)


# -- a ballot cast: the calls to vote are read -----------------------------------------------------------


def unread(session, user, link: str) -> list[str]:
    """The kinds of the user's unread notices linking to this page."""
    return sorted(session.execute(select(Notification.kind).where(
        Notification.user_id == user.id, Notification.link == link, Notification.read_at.is_(None))).scalars())


@pytest.fixture
def called_to_vote(session, make_vote, residents):
    """An owners' vote whose opening and one-day reminder told its owners, beside another open vote, and a notice
    of another kind linking to the same page."""
    vote = make_vote(basis="owner", closes_at=utcnow() + timedelta(days=5))
    other = make_vote(title="是否同意方案二", basis="owner")
    send_due(session, before_close(vote, 1))
    notify(session, [residents["wang"].id], "assisted", "居委会已代您录入选票", f"/votes/{vote.id}")
    session.commit()
    assert unread(session, residents["wang"], f"/votes/{vote.id}") == ["assisted", "reminder", "vote"]
    return vote, other


def test_a_ballot_on_the_page_reads_the_notices_that_asked_for_it(client, login, session, called_to_vote,
                                                                   residents):
    vote, other = called_to_vote
    login("wangayi")
    assert client.post(f"/votes/{vote.id}/ballot", data={"choice": "agree"}).status_code == 302
    assert unread(session, residents["wang"], f"/votes/{vote.id}") == ["assisted"]  # not a call to vote
    assert unread(session, residents["wang"], f"/votes/{other.id}") == ["vote"]  # the other vote still waits
    assert unread(session, residents["li"], f"/votes/{vote.id}") == ["reminder", "vote"]  # li has not voted


def test_a_ballot_by_the_api_reads_the_notices_that_asked_for_it(client, api_token, session, called_to_vote,
                                                                  residents):
    vote, other = called_to_vote
    cast = client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=api_token("wangayi"))
    assert cast.status_code == 201
    assert unread(session, residents["wang"], f"/votes/{vote.id}") == ["assisted"]
    assert unread(session, residents["wang"], f"/votes/{other.id}") == ["vote"]


def test_the_api_s_short_way_reads_the_call_to_vote_too(client, api_token, session, make_vote, residents):
    """An ordinary new ballot (a vote by persons) takes voting.quick's short way; its transaction reads the
    calls as the full way's does, and only them."""
    vote = make_vote()
    notify(session, [residents["wang"].id], "assisted", "居委会已代您录入选票", f"/votes/{vote.id}")
    session.commit()
    assert unread(session, residents["wang"], f"/votes/{vote.id}") == ["assisted", "vote"]
    cast = client.post(f"/api/v1/votes/{vote.id}/ballot", json={"choice": "agree"}, headers=api_token("wangayi"))
    assert cast.status_code == 201
    assert unread(session, residents["wang"], f"/votes/{vote.id}") == ["assisted"]


# -- the rule of days, pure --------------------------------------------------------------------------

OPENED = utcnow().replace(microsecond=0)
CLOSES = OPENED + timedelta(days=5)


@pytest.mark.parametrize(("stored", "done", "hours_before_close", "expected"), [
    pytest.param("1", set(), 25, (None, []), id="not_yet"),
    pytest.param("1", set(), 23, (1, ["remind:1"]), id="one_day_before"),
    pytest.param("1", {"remind:1"}, 23, (None, []), id="already_sent"),
    pytest.param("3,1", set(), 23, (1, ["remind:3", "remind:1"]), id="both_due_only_the_nearest"),
    pytest.param("3,1", {"remind:3"}, 71, (None, []), id="between_the_two"),
    pytest.param("7", set(), 100, (None, ["remind:7"]), id="before_the_opening_settled_unsent"),
    pytest.param("", set(), 1, (None, []), id="none_asked"),
    pytest.param("1", set(), 0, (None, []), id="at_the_close"),
])
def test_which_reminder_is_due(stored, done, hours_before_close, expected):
    now = CLOSES - timedelta(hours=hours_before_close)
    assert due_days(OPENED, CLOSES, stored, done, now) == expected


@pytest.mark.parametrize(("given", "stored"), [
    (None, "1"), ("", ""), ("3,1", "3,1"), ("1, 3", "3,1"), ("3，1", "3,1"), ("2 2", "2"), ([7, 1], "7,1"),
])
def test_reminder_days_are_stored_farthest_first(given, stored):
    assert check_days(given) == stored


@pytest.mark.parametrize("given", ["0", "15", "三", "1;2", "-1"])
def test_reminder_days_outside_one_to_fourteen_are_refused(given):
    with pytest.raises(Invalid) as refused:
        check_days(given)
    assert "reminder_days" in refused.value.fields


def test_the_api_takes_and_shows_the_reminder_days(client, api_token, consultation, proposals, secretary):
    headers = api_token(secretary.username)
    body = {"title": "是否同意方案一", "kind": "proposal", "proposal_id": proposals[0].id, "reminder_days": "1,3"}
    created = client.post(f"/api/v1/consultations/{consultation.id}/votes", json=body, headers=headers)
    assert created.status_code == 201 and created.get_json()["reminder_days"] == "3,1"
    refused = client.post(f"/api/v1/consultations/{consultation.id}/votes", json={**body, "reminder_days": "30"},
                          headers=headers)
    assert refused.status_code == 422 and "reminder_days" in refused.get_json()["error"]["fields"]


def test_the_vote_form_takes_the_reminder_days(client, login, session, consultation, proposals, secretary):
    login(secretary.username)
    page = client.get(f"/consultations/{consultation.id}/votes/new").get_data(as_text=True)
    assert 'name="reminder_days"' in page
    response = client.post(f"/consultations/{consultation.id}/votes/new", data={
        "title": "是否同意方案一", "kind": "proposal", "proposal_id": str(proposals[0].id),
        "rule_name": "simple_majority", "basis": "person", "group": "age", "objection_days": "3",
        "reminder_days": "0"})
    assert response.status_code == 422 and "如 3,1" in response.get_data(as_text=True)
