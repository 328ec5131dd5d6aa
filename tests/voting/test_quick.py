"""The ordinary new ballot's short way (voting.quick) answers and records exactly what the full way does;
whatever is not ordinary is answered by the full way, with its refusals and their audit events."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import request
from sqlalchemy import select, update

from deliberation import audit
from deliberation.audit import AuditEvent
from deliberation.consultations.models import Eligibility
from deliberation.db import utcnow
from deliberation.voting.casting import cast_ballot
from deliberation.voting.models import Ballot, Vote


def _ballot(session, vote_id, user):
    return session.execute(select(Ballot).where(Ballot.vote_id == vote_id, Ballot.cast_by_id == user.id)).scalar_one()


def _events(session, action):
    return session.execute(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)).scalars().all()


def test_the_short_way_stores_and_records_what_the_full_way_does(client, session, api_token, make_vote, residents):
    vote = make_vote()
    vote_id = vote.id
    cast_ballot(session, residents["li"], vote, "agree")  # the full way, through the service
    session.commit()
    answer = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=api_token("wangayi"))
    assert answer.status_code == 201
    body = answer.get_json()
    assert set(body) == {"vote_id", "receipt", "receipt_hash", "choice", "changed", "advisory"}
    assert body["choice"] == "agree" and body["changed"] is False and body["advisory"] is False
    session.expire_all()
    short, full = _ballot(session, vote_id, residents["wang"]), _ballot(session, vote_id, residents["li"])
    columns = ("source", "choice", "proposal_version", "changes", "entered_by_id", "advisory", "age_band", "tenure")
    assert {c: getattr(short, c) for c in columns} == {c: getattr(full, c) for c in columns}
    assert short.voter_key == f"p:{residents['wang'].person_id}" and short.receipt_hash == body["receipt_hash"]
    by_service, by_api = _events(session, "ballot.cast")
    assert (by_api.object_type, by_api.object_id, by_api.community_id, by_api.actor_id) == (
        by_service.object_type, by_service.object_id, by_service.community_id, residents["wang"].id)
    assert by_api.data == by_service.data == {"advisory": False, "choice": "agree"}
    assert audit.verify(session).ok  # the event is a link of the one chain


def test_a_secret_vote_keeps_the_choice_out_of_the_audit(client, session, api_token, make_vote, residents):
    vote_id = make_vote(secret=True).id
    answer = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "disagree"}, headers=api_token("wangayi"))
    assert answer.status_code == 201
    [event] = _events(session, "ballot.cast")
    assert event.data == {"advisory": False}


def test_the_tokens_last_use_is_written_with_the_ballot(client, session, api_token, make_vote, residents):
    from deliberation.accounts.models import ApiToken

    vote_id = make_vote().id
    headers = api_token("wangayi")
    long_ago = utcnow() - timedelta(hours=1)
    session.execute(update(ApiToken).values(last_used_at=long_ago))
    session.commit()
    assert client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=headers).status_code == 201
    session.expire_all()
    assert session.execute(select(ApiToken.last_used_at)).scalar() > long_ago


def test_a_token_used_a_moment_ago_keeps_its_last_use(client, session, api_token, make_vote, residents):
    """Written at most every few minutes (accounts.services.API_TOKEN_USE_GRANULARITY), on both databases."""
    from deliberation.accounts.models import ApiToken

    vote_id = make_vote().id
    headers = api_token("wangayi")
    a_moment_ago = utcnow() - timedelta(seconds=30)
    session.execute(update(ApiToken).values(last_used_at=a_moment_ago))
    session.commit()
    assert client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=headers).status_code == 201
    session.expire_all()
    assert session.execute(select(ApiToken.last_used_at)).scalar() == a_moment_ago
    assert _ballot(session, vote_id, residents["wang"]).choice == "agree"


@pytest.mark.parametrize(("case", "status", "refused"), [
    ("changed", 200, False),          # a second ballot of the voter: changed by the full way
    ("unknown choice", 422, True),
    ("closed vote", 409, True),
    ("extra field", 422, False),      # the schema refuses it before any operation
    ("outsider", 404, False),         # outside the electorate and the session: 404, the access refusal audited
    ("no token", 401, False),
])
def test_what_is_not_ordinary_is_answered_by_the_full_way(client, session, api_token, make_vote, residents,
                                                          make_user, community, consultation, case, status,
                                                          refused):
    vote = make_vote()
    vote_id = vote.id
    headers = api_token("wangayi")
    body = {"choice": "agree"}
    if case == "changed":
        assert client.post(f"/api/v1/votes/{vote_id}/ballot", json=body, headers=headers).status_code == 201
        body = {"choice": "disagree"}
    elif case == "unknown choice":
        body = {"choice": "yes"}
    elif case == "closed vote":
        session.execute(update(Vote).where(Vote.id == vote_id).values(closed_at=utcnow()))
        session.commit()
    elif case == "extra field":
        body = {"choice": "agree", "also": 1}
    elif case == "outsider":
        make_user("xinlai", community, building="9号楼", room="901")  # moved in after the opening
        consultation.eligibility = Eligibility.PERSONS
        session.commit()
        headers = api_token("xinlai")
    elif case == "no token":
        headers = {}
    answer = client.post(f"/api/v1/votes/{vote_id}/ballot", json=body, headers=headers)
    assert answer.status_code == status, answer.get_json()
    if status >= 400:
        assert "error" in answer.get_json()
    refusals = _events(session, "ballot.refused")
    assert len(refusals) == (1 if refused else 0)
    if refused:
        assert refusals[0].data["status"] == status
    if case == "outsider":
        assert [e.data["status"] for e in _events(session, "access.refused")] == [404]
    if case == "changed":
        assert [e.action for e in session.execute(select(AuditEvent).where(AuditEvent.action.like("ballot.%"))
                                                  .order_by(AuditEvent.id)).scalars()] == ["ballot.cast",
                                                                                           "ballot.change"]


def test_the_ordinary_ballot_is_answered_before_the_app_and_every_other_by_it(app, client, api_token, make_vote,
                                                                               residents):
    """api.short_way: the ordinary new ballot never reaches the app's request hooks; a changed ballot, a body the
    short way does not take and a choice it does not know do, with the body as sent (the full way reads it)."""
    reached: list[str] = []
    app.before_request(lambda: reached.append(request.endpoint))
    vote_id = make_vote().id
    wang, li = api_token("wangayi"), api_token("lishushu")
    url = f"/api/v1/votes/{vote_id}/ballot"
    reached.clear()
    first = client.post(url, data='{"choice": "agree"}', content_type="application/json; charset=utf-8",
                        headers=wang)
    assert first.status_code == 201 and first.get_json()["choice"] == "agree"
    assert reached == []
    changed = client.post(url, json={"choice": "disagree"}, headers=wang)
    assert changed.status_code == 200 and changed.get_json()["changed"] is True
    assert reached == ["api_voting.cast_ballot"]
    unknown = client.post(url, json={"choice": "perhaps"}, headers=li)
    assert unknown.status_code == 422 and "choice" in unknown.get_json()["error"]["fields"]
    as_form = client.post(url, data={"choice": "agree"}, headers=li)  # not JSON: the full way says why
    assert as_form.status_code == 422 and "error" in as_form.get_json()
    assert reached == ["api_voting.cast_ballot"] * 3
    assert client.post(url, json={"choice": "agree"}, headers=li).status_code == 201
    assert len(reached) == 3



def test_a_vote_closed_between_the_read_and_the_insert_takes_no_ballot(client, session, api_token, make_vote,
                                                                       residents, is_postgres):
    """The vote is read open, then closed by another writer before the ballot's INSERT (on SQLite at the moment
    the request turns to writing, on PostgreSQL just before the INSERT): the INSERT, which re-reads the vote under
    the lock, writes nothing, and the full way answers as for a closed vote."""
    from sqlalchemy import func

    from tests.voting.meanwhile import vote_closed_meanwhile

    vote_id, wang_id = make_vote().id, residents["wang"].id
    wang = api_token("wangayi")
    session.commit()
    session.close()

    def before_the_insert(statement: str) -> bool:
        return "INSERT INTO ballots" in statement if is_postgres else statement.startswith("BEGIN IMMEDIATE")

    with vote_closed_meanwhile(vote_id, before_the_insert) as closed:
        answer = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=wang)
    assert closed, ("the ballot never reached its writes", answer.status_code, answer.get_json())
    assert answer.status_code == 409, answer.get_json()
    assert session.execute(select(func.count(Ballot.id)).where(Ballot.vote_id == vote_id)).scalar() == 0
    assert [e.data.get("status") for e in _events(session, "ballot.refused")] == [409]
    # The call to vote was not answered: it still waits, unread (read with the ballot, rolled back with it).
    from deliberation.consultations.models import Notification

    assert session.execute(select(func.count(Notification.id)).where(
        Notification.user_id == wang_id, Notification.link == f"/votes/{vote_id}",
        Notification.read_at.is_(None))).scalar() == 1
