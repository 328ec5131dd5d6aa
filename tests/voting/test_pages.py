"""The voting pages: create, open, vote with big buttons, receipt, paper forms, results, hall display."""

from __future__ import annotations

import re
import threading
import time
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from deliberation.accounts.models import FloorCaptain
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Ballot, PaperConflict, Vote
from deliberation.voting.receipts import receipt_hash
from deliberation.voting.results import votes_for_consultation
from tests.voting.rolls import ready_to_open


def test_moderator_creates_and_opens_a_civil_code_vote(client, session, login, secretary, residents,
                                                       consultation, proposals):
    login("shuji")
    page = client.get(f"/consultations/{consultation.id}/votes/new")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "需参与表决的业主专有面积和人数均达到三分之二以上，且同意的面积和人数均过半数" in html
    bad = client.post(f"/consultations/{consultation.id}/votes/new", data={
        "title": "", "kind": "proposal", "proposal_id": proposals[0].id, "rule_name": "civil_code_ordinary",
        "basis": "person", "group": "age"})
    assert bad.status_code == 422 and "请填写表决标题" in bad.get_data(as_text=True)
    response = client.post(f"/consultations/{consultation.id}/votes/new", data={
        "title": "是否同意方案一", "kind": "proposal", "proposal_id": proposals[0].id,
        "rule_name": "civil_code_ordinary", "basis": "person", "group": "age", "secret": "y"})
    assert response.status_code == 302
    vote = session.execute(select(Vote)).scalar_one()
    assert vote.basis == "owner" and vote.secret
    detail = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert "开启表决" in detail and "三分之二以上" in detail
    ready_to_open(session, secretary, vote)
    session.commit()
    assert client.post(f"/votes/{vote.id}/open").status_code == 302
    session.refresh(vote)
    assert vote.opened_at is not None


def test_resident_votes_with_big_buttons_and_sees_the_receipt_once(client, session, login, make_vote,
                                                                   residents):
    vote = make_vote()
    login("wangayi")
    html = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert 'value="agree"' in html and "vote-button" in html
    response = client.post(f"/votes/{vote.id}/ballot", data={"choice": "agree"})
    assert response.status_code == 302
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    code = re.search(r'id="receipt-code">([A-Z0-9-]+)<', page).group(1)
    assert "您已投票：同意" in page
    ballot = session.execute(select(Ballot)).scalar_one()
    assert ballot.receipt_hash == receipt_hash(vote.id, code)
    assert "receipt-code" not in client.get(f"/votes/{vote.id}").get_data(as_text=True)
    refused = client.post(f"/votes/{vote.id}/ballot", data={"choice": "nonsense"})
    assert refused.status_code == 303
    assert "未知的选项" in client.get(f"/votes/{vote.id}").get_data(as_text=True)


def test_draft_vote_is_hidden_from_residents(client, login, make_vote, residents):
    vote = make_vote(open_now=False)
    login("wangayi")
    assert client.get(f"/votes/{vote.id}").status_code == 404


def test_paper_entry_by_keyboard_lines_and_conflict_settled_by_moderator(client, session, login, make_vote,
                                                                         residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary")
    cast_ballot(session, residents["li"], vote, "agree")
    session.commit()
    building = residents["li"].person.household.unit.building
    login("shuji")
    page = client.post(f"/votes/{vote.id}/paper", data={"building_id": building.id,
                                                       "lines": "101 2\n102 同意\n999 1"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "已在网上投票" in html and "5号楼999室不存在" in html and "5号楼102室已录入" in html
    conflict = session.execute(select(PaperConflict)).scalar_one()
    response = client.post(f"/votes/{vote.id}/conflicts/{conflict.id}", data={"resolution": "paper"})
    assert response.status_code == 302
    ballots = dict(session.execute(select(Ballot.voter_key, Ballot.choice)).all())
    assert ballots[f"o:{residents['li'].person_id}"] == "disagree"
    unanswered = client.get(f"/votes/{vote.id}/unanswered").get_data(as_text=True)
    body = unanswered.split("<tbody>")[1].split("</tbody>")[0]
    assert "<td>302</td>" in body and "<td>101</td>" not in body and "<td>102</td>" not in body
    assert "共 1 户" in unanswered


def test_the_follow_up_list_counts_rooms_as_people_do(client, session, login, make_vote, make_user, community,
                                                     secretary):
    """102 before 1001 and 2001, whatever the text order says."""
    for room in ("2001", "102", "1001", "301"):
        make_user(f"yezhu{room}", community, building="7号楼", room=room)
    vote = make_vote(rule_name="civil_code_ordinary")
    login("shuji")
    page = client.get(f"/votes/{vote.id}/unanswered").get_data(as_text=True)
    body = page.split("<tbody>")[1].split("</tbody>")[0]
    rooms = [room for room in ("102", "301", "1001", "2001") if f"<td>{room}</td>" in body]
    assert rooms == ["102", "301", "1001", "2001"]
    assert [body.index(f"<td>{room}</td>") for room in rooms] == sorted(body.index(f"<td>{room}</td>") for room in rooms)


def test_floor_captain_enters_own_building_only(client, session, login, make_vote, residents, secretary,
                                                make_user, community):
    vote = make_vote(rule_name="civil_code_ordinary")
    make_user("louzuzhang", community, building="5号楼", room="501")
    login("shuji")
    five = residents["li"].person.household.unit.building
    three = residents["wang"].person.household.unit.building
    assert client.post(f"/communities/{community.id}/floor-captains",
                       data={"username": "louzuzhang", "building_id": five.id}).status_code == 302
    assert session.execute(select(func.count(FloorCaptain.id))).scalar() == 1
    client.post("/logout")
    login("louzuzhang")
    ok = client.post(f"/votes/{vote.id}/paper", data={"building_id": five.id, "lines": "102 1"})
    assert ok.status_code == 200 and "5号楼102室已录入" in ok.get_data(as_text=True)
    other = client.post(f"/votes/{vote.id}/paper", data={"building_id": three.id, "lines": "302 1"})
    assert other.status_code == 403
    assert session.execute(select(func.count(Ballot.id))).scalar() == 1
    # The follow-up list stays in the captain's building, whichever building the link asks for.
    followup = client.get(f"/votes/{vote.id}/unanswered?building={three.id}").get_data(as_text=True)
    rows = followup.split("<tbody>")[1].split("</tbody>")[0]
    assert "5号楼" in rows and "3号楼" not in rows


def test_result_page_explains_every_check(client, session, login, make_vote, residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True, basis="owner")
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["tenant"], vote, "disagree")
    close_vote(session, secretary, vote)
    session.commit()
    login("wangayi")
    html = client.get(f"/votes/{vote.id}/result").get_data(as_text=True)
    assert "未通过" in html
    assert "参与表决的专有面积" in html and "≥ 2/3" in html
    assert "参考性表决（全体居民）" in html
    assert "<svg" in html
    receipts = client.get(f"/votes/{vote.id}/receipts").get_data(as_text=True)
    assert "共 2 张" in receipts


def test_running_results_only_when_allowed(client, login, make_vote, residents):
    hidden = make_vote()
    shown = make_vote(show_running=True)
    login("wangayi")
    assert client.get(f"/votes/{hidden.id}/result").status_code == 403
    assert client.get(f"/votes/{shown.id}/result").status_code == 200


@pytest.mark.parametrize("transport", ["polling", "redis"])
def test_hall_display_has_a_qr_code_and_the_stream_updates_within_two_seconds(
        app, client, session, login, make_vote, residents, transport, request, monkeypatch):
    """Within two seconds by construction, not by a stopwatch on a busy machine: without Redis the
    stream reads the figures again every second (its waits are recorded, and shortened so the test
    does not wait them out); with Redis a publication wakes it long before its poll would."""
    from deliberation.voting import live

    app.config["LIVE_STREAM_SECONDS"] = 300  # the stream must outlast a slow cast; it is closed below
    waits = []

    def recorded_sleep(seconds):
        waits.append(seconds)
        time.sleep(min(seconds, 0.05))

    monkeypatch.setattr(live, "time", SimpleNamespace(monotonic=time.monotonic, sleep=recorded_sleep))
    if transport == "redis":
        app.config["REDIS_URL"] = request.getfixturevalue("redis_url")
        # Without a publication the stream would look again only after a minute: a quick update proves pub/sub.
        app.config["LIVE_POLL_SECONDS"] = 60
    vote = make_vote()
    vote_id = vote.id
    login("wangayi")
    page = client.get(f"/votes/{vote_id}/hall").get_data(as_text=True)
    assert "<svg" in page and f"/votes/{vote_id}" in page and 'data-field="participants"' in page
    session.commit()
    session.close()

    response = client.get(f"/votes/{vote_id}/live")
    assert response.mimetype == "text/event-stream"
    chunks = iter(response.response)
    first = ""
    while '"participants": 0' not in first:
        first += next(chunks).decode()
    cast_at = {}

    def cast():  # the stream has sent its first figures: whatever it reads from now on is news
        other = app.test_client()
        other.post("/login", data={"username": "lishushu", "password": "correct horse battery"})
        cast_at["t"] = time.monotonic()
        other.post(f"/votes/{vote_id}/ballot", data={"choice": "agree"})

    thread = threading.Thread(target=cast)
    thread.start()
    seen = ""
    while '"participants": 1' not in seen:
        seen += next(chunks).decode()
    arrived = time.monotonic()
    thread.join()
    response.close()
    if transport == "polling":
        assert waits and set(waits) == {1.0}  # read again every second
    else:
        assert waits == []  # the stream waited on Redis, never slept
        assert arrived - cast_at["t"] < 30  # woken by the publication, not by the poll a minute later


def test_secret_vote_shows_no_list_of_who_chose_what(client, session, login, make_vote, residents, secretary):
    secret = make_vote(secret=True)
    open_vote = make_vote(title="记名表决")
    for vote in (secret, open_vote):
        cast_ballot(session, residents["wang"], vote, "agree")
    session.commit()
    login("shuji")
    assert "投票明细" not in client.get(f"/votes/{secret.id}/result").get_data(as_text=True)
    listing = client.get(f"/votes/{open_vote.id}/result").get_data(as_text=True)
    assert "投票明细" in listing and "wangayi" in listing


def test_moderator_revokes_a_floor_captain(client, session, login, residents, secretary, community):
    from deliberation.accounts.models import Building

    building = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    login("shuji")
    client.post(f"/communities/{community.id}/floor-captains", data={"username": "wangayi",
                                                                     "building_id": building.id})
    captain = session.execute(select(FloorCaptain)).scalar_one()
    unknown = client.post(f"/communities/{community.id}/floor-captains",
                          data={"username": "nobody", "building_id": building.id})
    assert unknown.status_code == 422 and "本居民区没有这个用户名" in unknown.get_data(as_text=True)
    assert client.post(f"/communities/{community.id}/floor-captains/{captain.id}/revoke").status_code == 302
    assert session.execute(select(func.count(FloorCaptain.id))).scalar() == 0
    client.post("/logout")
    login("wangayi")
    assert client.get(f"/communities/{community.id}/floor-captains").status_code == 403


def test_variant_ballots_through_the_form(client, session, login, make_vote, residents, proposals):
    approval = make_vote(kind="approval", option_proposal_ids=[p.id for p in proposals])
    ranked = make_vote(kind="ranked", option_proposal_ids=[p.id for p in proposals])
    login("wangayi")
    a, b, c = (o.key for o in approval.options)
    client.post(f"/votes/{approval.id}/ballot", data={"choice": [a, c]})
    x, y, z = (o.key for o in ranked.options)
    client.post(f"/votes/{ranked.id}/ballot", data={f"rank-{x}": "2", f"rank-{y}": "1", f"rank-{z}": ""})
    choices = dict(session.execute(select(Ballot.vote_id, Ballot.choice)).all())
    assert choices[approval.id] == f'["{a}", "{c}"]'
    assert choices[ranked.id] == f'[["{y}"], ["{x}"]]'
    assert "您已投票：方案二：并入车棚 &gt; 方案一：原址改造" in client.get(f"/votes/{ranked.id}").get_data(
        as_text=True)


def test_partial_for_the_consultation_page(app, session, login, make_vote, residents, consultation, client):
    from flask import render_template
    from flask_login import login_user

    shown = make_vote(title="已开启的表决")
    make_vote(title="草稿表决", open_now=False)
    with app.test_request_context():
        login_user(residents["wang"])
        votes = votes_for_consultation(session, residents["wang"], consultation)
        html = render_template("voting/_consultation_votes.html", consultation=consultation, votes=votes)
    assert f"/votes/{shown.id}" in html and "已开启的表决" in html and "草稿表决" not in html
    assert "投票中" in html


def test_hall_shows_running_results_only_when_allowed(client, session, login, make_vote, residents):
    hidden = make_vote()
    shown = make_vote(show_running=True)
    for vote in (hidden, shown):
        cast_ballot(session, residents["li"], vote, "disagree")
    session.commit()
    login("wangayi")
    assert "结果在表决结束后公布" in client.get(f"/votes/{hidden.id}/hall").get_data(as_text=True)
    page = client.get(f"/votes/{shown.id}/hall").get_data(as_text=True)
    assert "<span>不同意</span> <strong>1</strong>" in page


def test_result_page_in_english_names_bands_and_tenure_in_english(client, session, login, make_vote, residents,
                                                                  secretary):
    residents["wang"].person.birth_year = 1950
    residents["tenant"].person.birth_year = 2000  # under 18 would not be a voter
    vote = make_vote()
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["tenant"], vote, "disagree")
    close_vote(session, secretary, vote)
    residents["wang"].locale = "en"
    session.commit()
    login("wangayi")
    html = client.get(f"/votes/{vote.id}/result").get_data(as_text=True)
    assert "60 and over" in html and "18–34" in html and "Owner" in html and "Tenant" in html
    assert not any(word in html for word in ("60岁以上", "未满18岁", "业主", "租户", "年龄段", "产权", "未登记"))
