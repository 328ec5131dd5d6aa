"""Paper forms entered by the moderator: conflicts set aside, choices of a secret vote kept out of the audit."""

from __future__ import annotations

from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.voting.casting import cast_ballot
from deliberation.voting.paper import PaperEntry, enter_paper_ballots


def test_secret_paper_entries_keep_choices_out_of_the_audit(session, make_vote, residents, secretary):
    vote = make_vote(secret=True, rule_name="civil_code_ordinary")
    cast_ballot(session, residents["li"], vote, "agree")
    building = residents["li"].person.household.unit.building
    outcomes = enter_paper_ballots(session, secretary, vote, building, [
        PaperEntry("101", "2", line=1), PaperEntry("102", "1", line=2)])
    assert [o.status for o in outcomes] == ["conflict", "recorded"]
    session.commit()
    data = session.execute(select(AuditEvent.data).where(AuditEvent.action.like("ballot.%"))).scalars().all()
    assert len(data) == 3 and all("choice" not in d for d in data)


def test_a_vote_closed_between_the_reads_and_the_write_lock_takes_no_paper_form(
        is_postgres, client, session, api_token, make_vote, residents):
    """SQLite: a batch of paper forms reads its units, voters and names outside the write lock
    (db.reads_first). A vote closed by another writer in between — here at the very moment the batch turns to
    writing — is seen under the lock: 409 and no ballot."""
    import pytest
    from sqlalchemy import func

    from deliberation.voting.models import Ballot
    from tests.voting.meanwhile import vote_closed_meanwhile

    if is_postgres:
        pytest.skip("PostgreSQL reads and writes in one transaction, the vote's row locked as it is read")
    vote = make_vote(rule_name="civil_code_ordinary")
    vote_id, building_id = vote.id, residents["li"].person.household.unit.building.id
    headers = api_token("shuji")
    session.commit()
    session.close()
    read: list[str] = []

    def turning_to_write(statement: str) -> bool:
        if statement.startswith("SELECT") and "vote_voter_units" in statement:
            read.append(statement)
        return statement == "BEGIN IMMEDIATE" and bool(read)

    with vote_closed_meanwhile(vote_id, turning_to_write) as closed:
        response = client.post(f"/api/v1/votes/{vote_id}/paper-ballots", headers=headers, json={
            "building_id": building_id, "entries": [{"room": "102", "choice": "同意"}]})
    assert closed, ("the batch never turned from reading to writing", response.status_code, response.get_json())
    assert response.status_code == 409, response.get_json()
    assert session.execute(select(func.count(Ballot.id)).where(Ballot.vote_id == vote_id)).scalar() == 0
