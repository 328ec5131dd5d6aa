"""The counter's API twin (POST …/assisted): the same operations as the pages, answered in JSON."""

from __future__ import annotations

from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.consultations.models import Comment
from deliberation.voting.models import Ballot


def test_a_ballot_is_recorded_then_changed_and_a_secret_vote_is_refused(client, api_token, session, secretary,
                                                                       residents, make_vote):
    headers = api_token("shuji")
    vote = make_vote()
    wang = residents["wang"]
    body = {"person_id": wang.person_id, "consent": "phone", "choice": "agree"}
    first = client.post(f"/api/v1/votes/{vote.id}/assisted", json=body, headers=headers)
    assert first.status_code == 201 and first.get_json()["receipt"]
    again = client.post(f"/api/v1/votes/{vote.id}/assisted", json={**body, "choice": "abstain"}, headers=headers)
    assert again.status_code == 200 and again.get_json()["changed"] is True
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).scalar_one()
    assert (ballot.choice, ballot.recorded_by_id) == ("abstain", secretary.id)
    secret = make_vote(secret=True, title="无记名")
    refused = client.post(f"/api/v1/votes/{secret.id}/assisted", json=body, headers=headers)
    assert refused.status_code == 409 and "纸质表决单" in refused.get_json()["error"]["message"]
    assert session.execute(select(AuditEvent).where(AuditEvent.action == "ballot.assisted_refused")).first()


def test_an_unknown_consent_is_answered_422_with_its_field(client, api_token, residents, make_vote, secretary):
    vote = make_vote()
    answer = client.post(f"/api/v1/votes/{vote.id}/assisted", headers=api_token("shuji"),
                         json={"person_id": residents["wang"].person_id, "consent": "nod", "choice": "agree"})
    assert answer.status_code == 422 and "consent" in answer.get_json()["error"]["fields"]


def test_a_floor_captain_is_refused_a_resident_of_another_building(client, api_token, captain, residents, make_vote):
    vote = make_vote()
    headers = api_token("louzuzhang")
    other = client.post(f"/api/v1/votes/{vote.id}/assisted", headers=headers,
                        json={"person_id": residents["wang"].person_id, "consent": "in_person", "choice": "agree"})
    assert other.status_code == 403
    own = client.post(f"/api/v1/votes/{vote.id}/assisted", headers=headers,
                      json={"person_id": residents["li"].person_id, "consent": "in_person", "choice": "agree"})
    assert own.status_code == 201


def test_another_communitys_moderator_finds_neither_the_vote_nor_the_resident(client, api_token, make_user,
                                                                              other_community, residents, make_vote):
    make_user("wutong", other_community, role="moderator")
    vote = make_vote()
    answer = client.post(f"/api/v1/votes/{vote.id}/assisted", headers=api_token("wutong"),
                         json={"person_id": residents["wang"].person_id, "consent": "phone", "choice": "agree"})
    assert answer.status_code == 404


def test_a_survey_answer_and_a_comment_by_the_api(client, api_token, session, secretary, residents, make_survey,
                                                 commenting):
    survey = make_survey()
    headers = api_token("shuji")
    wang = residents["wang"]
    q = survey.questions
    answers = [{"question_id": q[0].id, "choices": [1]}, {"question_id": q[2].id, "value": 3}]
    answer = client.post(f"/api/v1/surveys/{survey.id}/assisted", headers=headers,
                         json={"person_id": wang.person_id, "consent": "written", "answers": answers})
    assert answer.status_code == 200 and answer.get_json()["consent"] == "written"
    anonymous = make_survey("匿名调查", anonymity="anonymous")
    refused = client.post(f"/api/v1/surveys/{anonymous.id}/assisted", headers=headers,
                          json={"person_id": wang.person_id, "consent": "written", "answers": answers})
    assert refused.status_code == 409
    said = client.post(f"/api/v1/consultations/{commenting.id}/assisted-comments", headers=headers,
                       json={"person_id": wang.person_id, "consent": "in_person", "body": "楼道要装扶手"})
    assert said.status_code == 201
    comment = session.get(Comment, said.get_json()["id"])
    assert (comment.for_person_id, comment.author_id, comment.body) == (wang.person_id, wang.id, "楼道要装扶手")
