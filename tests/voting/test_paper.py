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
