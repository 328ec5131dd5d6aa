"""Help at the counter (帮办): a moderator or floor captain records a ballot, a survey answer or a comment on a
resident's behalf with the resident's consent; audited, the resident told, theirs to change; never a secret vote."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.accounts.models import Consent
from deliberation.audit import AuditEvent
from deliberation.consultations.models import Comment, Notification
from deliberation.errors import Conflict, Forbidden, Invalid
from deliberation.formatting import local_date
from deliberation.surveys.answering import AnswerInput, save_response
from deliberation.surveys.assisted import record_response, response_of
from deliberation.surveys.models import Response
from deliberation.voting.assisted import record_ballot
from deliberation.voting.casting import cast_ballot
from deliberation.voting.models import Ballot, BallotSource
from tests.surveys.conftest import full_answers


def events(session, action: str) -> list[dict]:
    return list(session.execute(select(AuditEvent.data).where(AuditEvent.action == action)
                                .order_by(AuditEvent.id)).scalars())


def notes_of(session, user) -> list[Notification]:
    """The user's notices of help at the counter (a vote's or survey's opening tells them too)."""
    return list(session.execute(select(Notification).where(Notification.user_id == user.id,
                                                           Notification.kind == "assisted")).scalars())


def day_of(moment) -> str:
    """The day an entry was recorded as its marker writes it in Chinese (12月3日, on Shanghai's calendar), kept
    on one line."""
    day = local_date(moment)
    return f'<span class="day">{day.month}月{day.day}日</span>'


def ballot_of(session, vote, key: str) -> Ballot:
    return session.execute(select(Ballot).where(Ballot.vote_id == vote.id, Ballot.voter_key == key)).scalar_one()


# -- ballots -----------------------------------------------------------------------------------


@pytest.mark.parametrize("consent", [
    pytest.param("in_person", id="本人到场"), pytest.param("phone", id="电话确认"), pytest.param("written", id="书面委托")])
def test_a_moderator_records_a_ballot_with_each_consent(session, secretary, residents, make_vote, consent):
    vote = make_vote()
    wang = residents["wang"]
    result = record_ballot(session, secretary, vote, wang.person, "agree", consent)
    session.commit()
    ballot = ballot_of(session, vote, f"p:{wang.person_id}")
    assert result.created and ballot.choice == "agree" and ballot.source == BallotSource.ONLINE
    assert (ballot.recorded_by_id, ballot.consent, ballot.cast_by_id) == (secretary.id, Consent(consent), wang.id)
    [event] = events(session, "ballot.assisted")
    assert event["consent"] == consent and event["person_id"] == wang.person_id and event["choice"] == "agree"
    [note] = notes_of(session, wang)
    assert note.kind == "assisted" and "shuji" in note.text and "可以自行修改" in note.text
    assert note.link == f"/votes/{vote.id}"


def test_an_unknown_consent_is_refused_with_its_field(session, secretary, residents, make_vote):
    vote = make_vote()
    with pytest.raises(Invalid) as refused:
        record_ballot(session, secretary, vote, residents["wang"].person, "agree", "nodded")
    assert "consent" in refused.value.fields


def test_a_secret_vote_takes_no_ballot_at_the_counter(session, secretary, residents, make_vote):
    vote = make_vote(secret=True)
    with pytest.raises(Conflict) as refused:
        record_ballot(session, secretary, vote, residents["wang"].person, "agree", "in_person")
    assert "纸质表决单" in refused.value.message
    assert session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).first() is None


def test_the_resident_changes_the_ballot_recorded_for_them_and_the_marker_goes(session, secretary, residents,
                                                                                make_vote):
    vote = make_vote()
    wang = residents["wang"]
    record_ballot(session, secretary, vote, wang.person, "agree", "phone")
    session.commit()
    result = cast_ballot(session, wang, vote, "disagree")
    session.commit()
    ballot = ballot_of(session, vote, f"p:{wang.person_id}")
    assert not result.created and ballot.choice == "disagree"
    assert (ballot.recorded_by_id, ballot.consent, ballot.cast_by_id) == (None, None, wang.id)


def test_a_resident_with_no_login_gets_a_ballot_of_their_voter_key_and_may_change_it_once_registered(
        session, secretary, make_vote, no_login):
    vote = make_vote(basis="owner", rule_name="civil_code_ordinary")
    result = record_ballot(session, secretary, vote, no_login, "agree", "written")
    session.commit()
    ballot = ballot_of(session, vote, f"o:{no_login.id}")
    assert result.created and ballot.cast_by_id is None and ballot.recorded_by_id == secretary.id
    assert session.execute(select(Notification).where(Notification.kind == "assisted")).first() is None  # nobody to tell yet
    from deliberation.accounts.services import create_user

    user = create_user(session, None, "qianapo", "correct horse battery", "钱阿婆", person=no_login)
    session.commit()
    cast_ballot(session, user, vote, "disagree")
    session.commit()
    session.refresh(ballot)
    assert (ballot.choice, ballot.cast_by_id, ballot.recorded_by_id) == ("disagree", user.id, None)


def test_the_counter_changes_a_ballot_again_but_not_a_family_members(session, secretary, residents, make_vote,
                                                                      community):
    from deliberation.accounts.models import Person, Tenure

    vote = make_vote()
    wang = residents["wang"]
    cast_ballot(session, wang, vote, "disagree")
    assert not record_ballot(session, secretary, vote, wang.person, "agree", "in_person").created
    assert ballot_of(session, vote, f"p:{wang.person_id}").recorded_by_id == secretary.id
    family = residents["family"]
    spouse = Person(community_id=community.id, name="配偶", tenure=Tenure.FAMILY, birth_year=1970,
                    household_id=family.person.household_id)
    session.add(spouse)
    session.commit()
    by_household = make_vote(basis="household", title="按户表决")
    cast_ballot(session, family, by_household, "agree")
    with pytest.raises(Conflict):
        record_ballot(session, secretary, by_household, spouse, "disagree", "phone")


def test_a_floor_captain_helps_only_the_residents_of_their_building(session, captain, residents, make_vote):
    vote = make_vote()
    record_ballot(session, captain, vote, residents["li"].person, "agree", "in_person")  # 5号楼
    with pytest.raises(Forbidden):
        record_ballot(session, captain, vote, residents["wang"].person, "agree", "in_person")  # 3号楼


def test_a_resident_cannot_help_another(session, residents, make_vote):
    vote = make_vote()
    with pytest.raises(Forbidden):
        record_ballot(session, residents["li"], vote, residents["wang"].person, "agree", "in_person")


# -- survey answers ----------------------------------------------------------------------------


@pytest.mark.parametrize("consent", ["in_person", "phone", "written"])
def test_a_moderator_records_a_survey_answer_with_each_consent(session, secretary, residents, make_survey, consent):
    survey = make_survey()
    wang = residents["wang"]
    response = record_response(session, secretary, survey, wang.person, full_answers(survey), consent)
    session.commit()
    assert response.is_submitted and response.person_id == wang.person_id and response.user_id == wang.id
    assert (response.recorded_by_id, response.consent) == (secretary.id, Consent(consent))
    [event] = events(session, "survey.assisted")
    assert event["consent"] == consent and event["survey_id"] == survey.id
    [note] = notes_of(session, wang)
    assert note.link == f"/surveys/{survey.id}/answer" and survey.title in note.text


def test_the_resident_saves_the_answer_recorded_for_them_and_the_marker_goes(session, secretary, residents,
                                                                              make_survey):
    survey = make_survey()
    wang = residents["wang"]
    record_response(session, secretary, survey, wang.person, full_answers(survey), "phone")
    session.commit()
    save_response(session, wang, survey, full_answers(survey, q3=AnswerInput(value=2)), submit=True)
    session.commit()
    response = response_of(session, survey, wang.person)
    assert (response.recorded_by_id, response.consent) == (None, None)
    assert session.execute(select(Response).where(Response.survey_id == survey.id)).scalars().all() == [response]


def test_an_anonymous_survey_takes_no_answer_at_the_counter(session, secretary, residents, make_survey):
    survey = make_survey(anonymity="anonymous")
    with pytest.raises(Conflict) as refused:
        record_response(session, secretary, survey, residents["wang"].person, full_answers(survey), "in_person")
    assert "纸质问卷" in refused.value.message


def test_a_survey_answer_is_checked_like_the_residents_own(session, secretary, residents, make_survey):
    survey = make_survey()
    with pytest.raises(Invalid):
        record_response(session, secretary, survey, residents["wang"].person, full_answers(survey, q1=None), "phone")


# -- comments ----------------------------------------------------------------------------------


@pytest.mark.parametrize("consent", [
    pytest.param("in_person", id="本人到场"), pytest.param("phone", id="电话确认"), pytest.param("written", id="书面委托")])
def test_a_comment_recorded_for_a_resident_with_each_consent_is_theirs_and_they_revise_it(session, secretary,
                                                                                         residents, commenting,
                                                                                         consent):
    from deliberation.consultations.assisted import record_comment, revise_comment

    wang = residents["wang"]
    comment = record_comment(session, secretary, commenting, wang.person, "希望电梯装在北侧", consent)
    session.commit()
    assert (comment.author_id, comment.for_person_id, comment.recorded_by_id) == (wang.id, wang.person_id, secretary.id)
    assert comment.consent == Consent(consent) and comment.speaker_name == "wangayi"
    [event] = events(session, "comment.assisted")
    assert event["consent"] == consent
    [note] = notes_of(session, wang)
    assert note.link.endswith(f"#comment-{comment.id}")
    assert not comment.can_revise(residents["li"])
    revise_comment(session, wang, comment, "希望电梯装在南侧")
    session.commit()
    assert (comment.body, comment.recorded_by_id, comment.consent) == ("希望电梯装在南侧", None, None)
    assert events(session, "comment.revise_assisted")[0]["recorded_by_id"] == secretary.id


def test_a_comment_for_a_resident_with_no_login_speaks_in_their_name(session, secretary, commenting, no_login):
    from deliberation.consultations.assisted import record_comment

    comment = record_comment(session, secretary, commenting, no_login, "楼道灯坏了", "in_person")
    session.commit()
    assert comment.author_id == secretary.id and comment.speaker_name == "钱阿婆"
    assert session.execute(select(Notification).where(Notification.kind == "assisted")).first() is None


# -- pages -------------------------------------------------------------------------------------


def test_the_counter_pages_record_a_ballot_and_the_resident_sees_who_typed_it(client, login, session, secretary,
                                                                             residents, make_vote, community):
    vote = make_vote()
    wang = residents["wang"]
    login("shuji")
    found = client.get(f"/communities/{community.id}/counter?q=3号楼302")
    assert found.status_code == 200 and "wangayi" in found.get_data(as_text=True)
    base = f"/communities/{community.id}/counter/residents/{wang.person_id}"
    page = client.get(base)
    assert page.status_code == 200 and vote.title in page.get_data(as_text=True)
    missing = client.post(f"{base}/votes/{vote.id}", data={"choice": "agree"})
    assert missing.status_code == 422 and "请选择居民同意的方式" in missing.get_data(as_text=True)
    done = client.post(f"{base}/votes/{vote.id}", data={"choice": "agree", "consent": "phone"})
    assert done.status_code == 302
    client.post("/logout")
    login("wangayi")
    text = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    day = day_of(ballot_of(session, vote, f"p:{wang.person_id}").updated_at)
    assert f"由 主持人 shuji 于 {day} 代为录入（电话确认）" in text


def test_the_counter_ballot_page_shows_the_residents_ballot_before_it_is_changed(client, login, session, secretary,
                                                                                 captain, residents, make_vote,
                                                                                 community):
    vote = make_vote()
    li = residents["li"]  # 5号楼: the floor captain's building too
    url = f"/communities/{community.id}/counter/residents/{li.person_id}/votes/{vote.id}"
    login("shuji")
    assert 'id="current-ballot"' not in client.get(url).text
    cast_ballot(session, li, vote, "disagree")
    session.commit()
    page = client.get(url).text
    assert "该居民已投票：不同意（网上，" in page and "在下面再次录入，即改为新的选择。" in page
    client.post(url, data={"choice": "agree", "consent": "phone"})
    page = client.get(url).text
    day = day_of(ballot_of(session, vote, f"p:{li.person_id}").updated_at)
    assert "该居民已投票：同意（网上，" in page and f"由 主持人 shuji 于 {day} 代为录入（电话确认）" in page
    resident_page = client.get(f"/communities/{community.id}/counter/residents/{li.person_id}").text
    assert '<span class="muted">已投票</span>' in resident_page  # the list keeps to whether, not what
    # Who chose what is for the vote's moderators: a floor captain sees that there is a ballot, not its choice.
    client.post("/logout")
    login("louzuzhang")
    page = client.get(url).text
    assert "该居民已投票（网上，" in page and "该居民已投票：" not in page
    assert 'id="choice-agree" checked' not in page


def test_the_counter_page_refuses_a_secret_vote_and_audits_the_attempt(client, login, session, secretary, residents,
                                                                      make_vote, community):
    vote = make_vote(secret=True)
    login("shuji")
    url = f"/communities/{community.id}/counter/residents/{residents['wang'].person_id}/votes/{vote.id}"
    page = client.get(url)
    assert page.status_code == 409 and "纸质表决单" in page.get_data(as_text=True)
    posted = client.post(url, data={"choice": "agree", "consent": "in_person"})
    assert posted.status_code == 409
    [event] = events(session, "ballot.assisted_refused")
    assert event["status"] == 409
    assert session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).first() is None


def test_the_counter_page_records_a_survey_answer_and_a_comment(client, login, session, secretary, residents,
                                                               make_survey, commenting, community):
    from tests.surveys.conftest import form_data

    survey = make_survey()
    wang = residents["wang"]
    login("shuji")
    base = f"/communities/{community.id}/counter/residents/{wang.person_id}"
    data = form_data(survey, q1="0", q3="4")
    done = client.post(f"{base}/surveys/{survey.id}", data={**data, "consent": "written"})
    assert done.status_code == 302
    assert response_of(session, survey, wang.person).consent == Consent.WRITTEN
    said = client.post(f"{base}/consultations/{commenting.id}", data={"consent": "in_person", "body": "同意加装"})
    assert said.status_code == 302
    client.post("/logout")
    login("wangayi")
    answer = client.get(f"/surveys/{survey.id}/answer").get_data(as_text=True)
    assert f"由 主持人 shuji 于 {day_of(response_of(session, survey, wang.person).updated_at)} 代为录入（书面委托）" in answer
    detail = client.get(f"/consultations/{commenting.id}").get_data(as_text=True)
    comment = session.execute(select(Comment).where(Comment.for_person_id == wang.person_id)).scalar_one()
    assert f"由 主持人 shuji 于 {day_of(comment.created_at)} 代为录入（本人到场）" in detail and "修改这条意见" in detail
    revised = client.post(f"/consultations/{commenting.id}/comments/{comment.id}/revise", data={"body": "改为不同意"})
    assert revised.status_code == 302
    session.refresh(comment)
    assert comment.body == "改为不同意" and comment.recorded_by_id is None


def test_a_comment_a_floor_captain_records_with_a_written_proxy_names_them_as_floor_captain(client, login, session,
                                                                                          captain, residents, commenting,
                                                                                          community):
    li = residents["li"]  # 5号楼, the captain's building
    login("louzuzhang")
    base = f"/communities/{community.id}/counter/residents/{li.person_id}"
    said = client.post(f"{base}/consultations/{commenting.id}", data={"consent": "written", "body": "电梯井放北侧"})
    assert said.status_code == 302
    comment = session.execute(select(Comment).where(Comment.for_person_id == li.person_id)).scalar_one()
    assert (comment.consent, comment.recorded_by_id) == (Consent.WRITTEN, captain.id)
    assert events(session, "comment.assisted")[0]["consent"] == "written"
    client.post("/logout")
    login("lishushu")
    detail = client.get(f"/consultations/{commenting.id}").get_data(as_text=True)
    assert f"由 楼组长 louzuzhang 于 {day_of(comment.created_at)} 代为录入（书面委托）" in detail
    assert "修改这条意见" in detail


def test_a_floor_captain_finds_only_their_buildings_residents_and_is_refused_the_others(client, login, captain,
                                                                                      residents, community):
    login("louzuzhang")
    found = client.get(f"/communities/{community.id}/counter?q=号楼").get_data(as_text=True)
    assert "lishushu" in found and "wangayi" not in found
    other = client.get(f"/communities/{community.id}/counter/residents/{residents['wang'].person_id}")
    assert other.status_code == 403


def test_the_counter_of_another_community_is_not_found(client, login, session, outsider, secretary, residents,
                                                      community):
    login("zhaojie")
    assert client.get(f"/communities/{community.id}/counter").status_code == 404
    url = f"/communities/{community.id}/counter/residents/{residents['wang'].person_id}"
    assert client.get(url).status_code == 404


def test_a_moderator_of_one_community_finds_no_resident_of_another(client, login, session, secretary, outsider,
                                                                  community):
    login("shuji")
    url = f"/communities/{community.id}/counter/residents/{outsider.person_id}"
    assert client.get(url).status_code == 404


def test_a_resident_is_refused_the_counter(client, login, residents, community):
    login("wangayi")
    assert client.get(f"/communities/{community.id}/counter").status_code == 403


@pytest.mark.parametrize("fields", [
    pytest.param({}, id="per_person"),
    pytest.param({"basis": "household", "title": "按户"}, id="per_household"),
    pytest.param({"basis": "owner", "rule_name": "civil_code_ordinary", "advisory_all": True, "title": "业主"},
                 id="owners_with_residents_advising"),
])
def test_the_counters_list_finds_each_residents_row_as_the_vote_page_does(session, secretary, residents, make_vote,
                                                                         no_login, fields):
    from deliberation.accounts.models import Ownership, Person, Tenure
    from deliberation.voting.assisted import voters_of_person
    from deliberation.voting.electorate import voter_of_person

    wang = residents["wang"].person  # a co-owner of wang's flat who lives elsewhere: one owner with wang
    co_owner = Person(community_id=wang.community_id, name="共有人", tenure=Tenure.OWNER, birth_year=1965)
    session.add_all([co_owner, Ownership(person=co_owner, unit_id=wang.household.unit_id)])
    session.commit()
    vote = make_vote(**fields)
    for person in [user.person for user in residents.values()] + [no_login, co_owner]:
        one = voter_of_person(session, vote, person.id)
        many = voters_of_person(session, [vote], person).get(vote.id)
        assert (one.voter_key, one.advisory) == (many.voter_key, many.advisory) if one else many is None, person.name


def test_a_floor_captains_counter_comment_with_a_blocked_word_waits_for_moderation(session, secretary, captain,
                                                                                  residents, commenting, community):
    from deliberation.consultations.assisted import record_comment
    from deliberation.consultations.models import CommentStatus
    from deliberation.consultations.moderation import add_blocked_word

    add_blocked_word(session, secretary, community, "骗子")
    li = residents["li"]  # 5号楼, the captain's building
    by_captain = record_comment(session, captain, commenting, li.person, "物业是骗子", "phone")
    by_secretary = record_comment(session, secretary, commenting, li.person, "物业是骗子", "phone")
    assert (by_captain.status, by_secretary.status) == (CommentStatus.PENDING, CommentStatus.PUBLISHED)
