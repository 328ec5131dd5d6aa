"""A vote's rule, checks and verdict in the reader's language: English on the page for a reader who chose
English and in the API for Accept-Language: en; Chinese by default; the stored record always Chinese."""

from __future__ import annotations

import re

import pytest

from deliberation.voting.casting import cast_ballot

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.fixture
def closed_vote(client, session, make_vote, residents, api_token):
    """A simple-majority vote, closed through the API by a moderator who asked for English."""
    vote = make_vote(rule_name="quorum_majority", quorum="3/5")
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["li"], vote, "disagree")
    session.commit()
    closed = client.post(f"/api/v1/votes/{vote.id}/close", headers={**api_token("shuji"), "Accept-Language": "en"})
    assert closed.status_code == 200, closed.get_json()
    session.expire_all()
    return vote


ZH_SUMMARY = "未通过：参与表决的人数占全体表决权人数的40.00%，未达到五分之三；同意票占同意与反对票之和的50.00%，未过半数。"
EN_SUMMARY = ("Not passed: Voters taking part as a share of all entitled voters: 40.00%, short of 3/5; "
              "Agree votes as a share of agree and disagree votes: 50.00%, not more than half.")
ZH_LABELS = ["参与表决的人数", "同意票占同意与反对票之和"]
EN_LABELS = ["Voters taking part", "Agree votes as a share of agree and disagree votes"]

# (Accept-Language, summary, the checks' labels, rule label): no header and Chinese ones get Chinese.
LANGUAGES = [
    pytest.param(None, ZH_SUMMARY, ZH_LABELS, "法定人数+多数", id="default_chinese"),
    pytest.param("zh-CN,zh;q=0.9", ZH_SUMMARY, ZH_LABELS, "法定人数+多数", id="chinese"),
    pytest.param("en-GB,en;q=0.8", EN_SUMMARY, EN_LABELS, "Quorum and majority", id="english"),
]


@pytest.mark.parametrize(("language", "summary", "labels", "rule_label"), LANGUAGES)
def test_the_api_words_the_result_in_the_request_language(client, closed_vote, api_token, language, summary, labels,
                                                          rule_label):
    headers = api_token("wangayi") | ({"Accept-Language": language} if language else {})
    result = client.get(f"/api/v1/votes/{closed_vote.id}/result", headers=headers).get_json()
    assert result["summary"] == summary
    assert result["rule_label"] == rule_label
    assert [c["label"] for c in result["checks"]] == labels
    assert [c["passed"] for c in result["checks"]] == [False, False] and result["agreed"] is False
    english = labels is EN_LABELS
    for text in (result["rule_text"], *(c["explanation"] for c in result["checks"])):
        assert bool(CJK.search(text)) is not english, text


def test_the_stored_record_stays_chinese_whoever_closed_it(closed_vote):
    stored = closed_vote.decision["decision"]
    assert stored["summary"].startswith("未通过：参与表决的人数")
    assert stored["rule_label"] == "法定人数+多数"
    assert closed_vote.decision["rule_text"].startswith("需参与表决的人数达到全体表决权人数的五分之三以上")


@pytest.mark.parametrize(("locale", "expected", "absent"), [
    pytest.param(None, ["未通过：参与表决的人数", "五分之三以上", "未过半数"], ["Not passed"], id="chinese"),
    pytest.param("en", ["Not passed: Voters taking part", "Voters taking part as a share of all entitled voters",
                        "not more than half", "Needs 3/5 or more of all entitled voters to take part"],
                 ["未通过", "参与表决的人数", "未过半数"], id="english"),
])
def test_the_result_page_speaks_the_readers_language(client, session, closed_vote, residents, login, locale, expected,
                                                     absent):
    residents["wang"].locale = locale
    session.commit()
    login("wangayi")
    page = client.get(f"/votes/{closed_vote.id}/result").get_data(as_text=True)
    for text in expected:
        assert text in page
    for text in absent:
        assert text not in page


def test_the_vote_form_names_the_rules_in_english(client, session, secretary, consultation, login):
    secretary.locale = "en"
    session.commit()
    login("shuji")
    page = client.get(f"/consultations/{consultation.id}/votes/new").get_data(as_text=True)
    assert "Civil Code, ordinary matters (Art. 278)" in page
    assert "民法典一般事项" not in page


@pytest.mark.parametrize("language", [None, "en"], ids=["record_chinese", "english_reader"])
def test_a_closed_cross_group_vote_keeps_its_groups_in_words(app, session, make_vote, residents, secretary, language):
    """The record (minutes) names each age band in Chinese words; a reader sees them in their language."""
    from flask_babel import force_locale

    from deliberation.voting.lifecycle import close_vote
    from deliberation.voting.results import report_for

    vote = make_vote(rule_name="cross_group_majority", group="age")
    for name in ("wang", "li"):
        cast_ballot(session, residents[name], vote, "agree")
    close_vote(session, secretary, vote)
    session.commit()
    with app.test_request_context(), force_locale(language or "zh_Hans"):
        report = report_for(session, vote)
    recorded = [c.label for c in report.decision.checks if c.name.startswith("group:")]
    shown = [c.label for c in report.explained.checks if c.name.startswith("group:")]
    assert recorded == ["年龄段“60岁以上”群体"]
    assert shown == (["Age group “60 and over”"] if language else recorded)
