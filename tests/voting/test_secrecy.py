"""A secret vote keeps its secrets on every surface: no tally before the close (moderators included) on
the page, the API, the hall display and its stream, the minutes; after the close no breakdown shows a group
of fewer than 5 voters; the audit log says that a voter cast, never what; the hall shows the result."""

from __future__ import annotations

import csv
import io
import json

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.disclosure import FEWER, OTHER
from deliberation.minutes import services as minutes
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.paper import PaperEntry, enter_paper_ballots, resolve_conflict
from deliberation.voting.results import live_counts, vote_result
from tests.announced import close_and_announce

TITLE = "是否同意方案一（无记名）"


@pytest.fixture
def voters_by_building(make_user, community):
    """Voters in 1号楼, 2号楼, … : `sizes[n]` of them in building n + 1."""

    def make(sizes) -> list[list]:
        return [[make_user(f"b{b + 1}v{n}", community, building=f"{b + 1}号楼", room=f"{b + 1}{n:02d}")
                 for n in range(size)] for b, size in enumerate(sizes)]

    return make


def _first_figures(client, vote_id: int) -> dict:
    """The first figures the hall display's stream sends."""
    response = client.get(f"/votes/{vote_id}/live")
    text = ""
    try:
        for chunk in response.response:
            text += chunk.decode()
            if "event: figures" in text and text.endswith("\n\n"):
                break
    finally:
        response.close()
    line = next(line for line in text.splitlines() if line.startswith("data: {") and '"state"' in line)
    return json.loads(line.removeprefix("data: "))


def _minutes_csv(session, secretary, consultation) -> str:
    data, _name, _type = minutes.export(session, secretary, consultation, "csv", draft=True)
    return data.decode("utf-8-sig")


SURFACES = ["result_page", "api", "hall_page", "hall_stream", "minutes", "figures"]


@pytest.mark.parametrize("surface", SURFACES)
def test_nobody_sees_a_secret_votes_tally_before_the_close_moderators_included(
        app, client, session, login, api_token, make_vote, residents, secretary, consultation, surface):
    vote = make_vote(title=TITLE, secret=True, show_running=True)  # running results asked for: still none
    cast_ballot(session, residents["wang"], vote, "disagree")
    session.commit()
    vote_id = vote.id
    assert not vote.can_see_results(secretary) and not vote.results_public
    if surface == "result_page":
        login("shuji")
        page = client.get(f"/votes/{vote_id}/result")
        assert page.status_code == 403 and "不同意" not in page.get_data(as_text=True)
        detail = client.get(f"/votes/{vote_id}").get_data(as_text=True)
        assert 'id="secret-turnout"' in detail and "已参与 1 / 5" in detail
        assert "查看实时结果" not in detail and 'id="vote-outcome"' not in detail
    elif surface == "api":
        answer = client.get(f"/api/v1/votes/{vote_id}/result", headers=api_token("shuji"))
        assert answer.status_code == 403 and answer.get_json()["error"]["message"]
        assert "tally" not in answer.get_json()
    elif surface == "hall_page":
        login("shuji")
        page = client.get(f"/votes/{vote_id}/hall").get_data(as_text=True)
        assert "无记名表决：结束前只显示参与人数" in page and "<span>不同意</span>" not in page
        assert 'id="hall-participants">1<' in page and "扫码投票" in page
    elif surface == "hall_stream":
        app.config["LIVE_STREAM_SECONDS"] = 0  # the figures once, then the stream ends
        login("shuji")
        session.close()
        figures = _first_figures(client, vote_id)
        assert figures["participants"] == 1 and "tally" not in figures and "summary" not in figures
    elif surface == "minutes":
        assert TITLE not in _minutes_csv(session, secretary, consultation)
    else:  # the hall's figures, even when a caller asks for the results
        figures = live_counts(session, vote, True)
        assert figures["participants"] == 1 and "tally" not in figures


def test_after_the_close_the_page_the_hall_and_the_api_show_the_result(
        app, client, session, login, api_token, make_vote, residents, secretary):
    vote = make_vote(title=TITLE, secret=True)
    for name in ("wang", "li", "zhao"):
        cast_ballot(session, residents[name], vote, "agree")
    close_and_announce(session, secretary, vote)
    vote_id = vote.id
    login("shuji")
    detail = client.get(f"/votes/{vote_id}").get_data(as_text=True)
    assert 'id="vote-outcome"' in detail and "通过" in detail and 'id="secret-turnout"' not in detail
    hall = client.get(f"/votes/{vote_id}/hall").get_data(as_text=True)
    assert 'id="hall-result"' in hall and "扫码投票" not in hall and "<svg" not in hall
    assert "<span>同意</span> <strong>3</strong>" in hall and 'class="hall-verdict passed"' in hall
    assert client.get(f"/votes/{vote_id}/result").status_code == 200
    result = client.get(f"/api/v1/votes/{vote_id}/result", headers=api_token("shuji")).get_json()
    assert result["agreed"] is True and result["final"] is True
    session.close()
    figures = _first_figures(client, vote_id)
    assert figures["state"] == "closed" and figures["agreed"] is True and ["同意", 3] in figures["tally"]


def test_an_open_votes_hall_after_the_close_names_the_winner(client, session, login, make_vote, residents,
                                                            secretary, proposals):
    vote = make_vote(kind="single", option_proposal_ids=[p.id for p in proposals[:2]])
    cast_ballot(session, residents["wang"], vote, vote.options[1].key)
    close_vote(session, secretary, vote)
    session.commit()
    login("wangayi")
    hall = client.get(f"/votes/{vote.id}/hall").get_data(as_text=True)
    assert "胜出：方案二：并入车棚" in hall and "扫码投票" not in hall


@pytest.mark.parametrize(("voted", "secret", "expected"), [
    pytest.param((5, 5), True, {"1号楼": 5, "2号楼": 5}, id="groups_of_5_are_shown"),
    pytest.param((5, 4), True, {"其他": 9}, id="a_group_of_4_is_merged_with_the_smallest_other"),
    pytest.param((5, 4, 1), True, {"1号楼": 5, "其他": 5}, id="groups_of_4_and_1_merge_into_5"),
    pytest.param((4,), True, {"少于5人": None}, id="4_voters_in_all_are_fewer_than_5"),
    pytest.param((5, 4), False, {"1号楼": 5, "2号楼": 4}, id="an_open_vote_shows_every_group"),
])
def test_a_secret_votes_breakdowns_never_show_a_group_under_5(
        client, session, login, api_token, make_vote, voters_by_building, secretary, consultation,
        voted, secret, expected):
    buildings = voters_by_building(voted)
    vote = make_vote(title=TITLE, secret=secret)
    for people in buildings:
        for n, user in enumerate(people):
            cast_ballot(session, user, vote, "agree" if n % 2 == 0 else "disagree")
    close_vote(session, secretary, vote)
    session.commit()

    report = vote_result(session, secretary, vote)
    by_building = {}
    for value, counts in report.breakdown["building"]:
        label = {OTHER: "其他", FEWER: "少于5人"}.get(value, value)
        by_building[label] = sum(n for c, n in counts.items() if c != "未投票") if counts else None
    assert by_building == expected
    assert dict(report.tally_rows)["同意"] + dict(report.tally_rows)["不同意"] == sum(voted)  # totals kept
    for group in ("age", "tenure"):  # one age band and one tenure: the whole electorate, shown or merged alike
        assert len(report.breakdown[group]) == 1

    api = client.get(f"/api/v1/votes/{vote.id}/result", headers=api_token("shuji")).get_json()
    codes = [value for value, _counts in api["breakdown"]["building"]]
    assert codes == [value for value, _counts in report.breakdown["building"]]
    login("shuji")
    page = client.get(f"/votes/{vote.id}/result").get_data(as_text=True)
    text = _minutes_csv(session, secretary, consultation)
    for label in expected:
        assert label in page and label in text
    hidden = {f"{n + 1}号楼" for n in range(len(voted))} - set(expected)
    for label in hidden:
        assert label not in page and f"\n{label}," not in text


@pytest.mark.parametrize("secret", [True, False])
def test_a_stored_snapshot_with_a_small_group_is_shown_merged(session, make_vote, voters_by_building, secretary,
                                                              secret):
    buildings = voters_by_building((5, 1))
    vote = make_vote(title=TITLE, secret=secret)
    for people in buildings:
        for user in people:
            cast_ballot(session, user, vote, "agree")
    close_vote(session, secretary, vote)
    stored = dict(vote.decision)  # as a snapshot stored before the rule: every group on its own
    stored["breakdown"] = {"building": [["1号楼", {"同意": 5, "不同意": 0, "弃权": 0, "未投票": 0}],
                                        ["2号楼", {"同意": 1, "不同意": 0, "弃权": 0, "未投票": 0}]]}
    vote.decision = stored
    session.commit()
    values = [value for value, _counts in vote_result(session, secretary, vote).breakdown["building"]]
    assert values == ([OTHER] if secret else ["1号楼", "2号楼"])


def test_the_audit_of_a_secret_vote_says_who_cast_never_what(session, make_vote, residents, secretary):
    vote = make_vote(title=TITLE, secret=True, rule_name="civil_code_ordinary")
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["wang"], vote, "disagree")  # a change
    cast_ballot(session, residents["li"], vote, "agree")
    building = residents["li"].person.household.unit.building
    outcomes = enter_paper_ballots(session, secretary, vote, building, [
        PaperEntry("101", "2", line=1), PaperEntry("102", "1", line=2)])
    conflict = next(o for o in outcomes if o.status == "conflict")
    assert conflict
    from deliberation.voting.models import PaperConflict
    conflict_id = session.execute(select(PaperConflict.id)).scalar_one()
    resolve_conflict(session, secretary, vote, conflict_id, "paper")
    close_vote(session, secretary, vote)
    session.commit()
    events = session.execute(select(AuditEvent.action, AuditEvent.data)
                             .where(AuditEvent.action.like("ballot.%"))).all()
    assert {action for action, _data in events} >= {"ballot.cast", "ballot.change", "ballot.paper",
                                                    "ballot.paper_conflict", "ballot.conflict_resolved"}
    for _action, data in events:
        written = json.dumps(data, ensure_ascii=False)
        assert "choice" not in data and "agree" not in written and "同意" not in written


def test_a_minutes_csv_of_a_secret_vote_reads_as_a_table(session, make_vote, voters_by_building, secretary,
                                                         consultation):
    buildings = voters_by_building((3, 2))  # three vote in 1号楼; in 2号楼 nobody does
    vote = make_vote(title=TITLE, secret=True)
    for user in buildings[0]:
        cast_ballot(session, user, vote, "agree")
    close_vote(session, secretary, vote)
    session.commit()
    rows = list(csv.reader(io.StringIO(_minutes_csv(session, secretary, consultation))))
    by_building = [row[1:] for row in rows if row and row[0].endswith("按楼栋")]
    # The header, 2号楼 (nobody voted: nothing to hide), and 少于5人 with dashes for the three ballots.
    assert by_building[1] == ["2号楼", "0", "0", "0", "2"]
    assert by_building[2] == ["少于5人", "—", "—", "—", "—"]
    assert len(by_building) == 3
