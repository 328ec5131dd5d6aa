"""The hot paths stay cheap: a ballot in a bounded number of statements, results as one GROUP BY over
ballots that carry their voter's facts, the electorate counted once at the opening."""

from __future__ import annotations

from decimal import Decimal

from sqlalchemy import delete, func, select, update

from deliberation.consultations.models import Eligibility
from deliberation.extensions import db
from deliberation.voting.casting import cast_ballot
from deliberation.voting.electorate import backfill_ballot_facts, electorate_size
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Ballot, VoteElectorateGroup, VoteVoter
from deliberation.voting.paper import PaperEntry, enter_paper_ballots
from deliberation.voting.results import live_counts, report_for
from tests.statements import recorded

# A new ballot (voting.quick): one read (the token's user with their role, the vote with its session, the
# voter's row); under the write lock the INSERT, which re-reads the vote still open and the
# proposal's version; the notices that asked for the ballot, read; then the audit event: its chain's last hash and
# its row. On PostgreSQL the INSERT reads the notices in its own WITH and takes the chain's lock and last hash in its
# RETURNING (audit_chain_head); on SQLite the read runs under a plain BEGIN, the rest under BEGIN IMMEDIATE.
NEW_BALLOT_STATEMENTS = {"postgresql": 3, "sqlite": 5}
# A changed ballot: the short way's read, then its INSERT finds the ballot (rolled back), and the full way
# (voting.casting) answers: the token's user, the vote, the voter's row, then under the lock the vote's state, the
# INSERT that finds the ballot, the ballot FOR UPDATE and its UPDATE, the notices that asked for a ballot read
# (voting.telling.voted).
CHANGED_BALLOT_STATEMENTS = 10


# An audit event of the full way: its chain's last hash (on PostgreSQL with the chain's lock), its row.
AUDIT_STATEMENTS = 2


def _report_figures(report):
    decision = report.decision
    return (report.tally_rows, report.breakdown, report.online, report.paper, report.electorate,
            report.participants, report.areas, decision.tally if decision else None,
            decision.checks if decision else None)


def test_a_ballot_through_the_api_takes_few_statements(client, session, api_token, make_vote, residents):
    vote_id = make_vote().id
    wang = api_token("wangayi")
    session.commit()
    # A token's last use is written at most every few minutes (accounts.services): counted here is a
    # ballot through a token in use, not the first request of a new one.
    assert client.get("/api/v1/me", headers=wang).status_code == 200
    session.commit()  # the test's app context outlives the request: end its read transaction as a new request would
    with recorded() as statements:
        first = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=wang)
    assert first.status_code == 201, first.get_json()
    queries = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(queries) == NEW_BALLOT_STATEMENTS[db.engine.dialect.name], statements
    if db.engine.dialect.name == "sqlite":
        # The read before the write lock; the lock only for the writes.
        assert statements[0] == "BEGIN" and statements[2:4] == ["COMMIT", "BEGIN IMMEDIATE"], statements
        assert statements.count("BEGIN IMMEDIATE") == 1
    with recorded() as statements:
        changed = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "disagree"}, headers=wang)
    assert changed.status_code == 200 and changed.get_json()["changed"] is True
    queries = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(queries) <= CHANGED_BALLOT_STATEMENTS + AUDIT_STATEMENTS, statements
    if db.engine.dialect.name == "sqlite":
        locked = statements.index("BEGIN IMMEDIATE")
        assert statements[0] == "BEGIN" and statements[locked - 1] == "COMMIT", statements
        assert all(s.startswith("SELECT") for s in statements[1:locked - 1]), statements
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == vote_id)).scalar_one()
    assert ballot.choice == "disagree" and ballot.changes == 1


def test_the_frozen_electorate_decides_who_votes(client, session, api_token, make_vote, residents, consultation,
                                                  make_user, community):
    vote_id = make_vote().id
    newcomer = make_user("xinlai", community, building="9号楼", room="901")  # moved in after the opening
    consultation.eligibility = Eligibility.PERSONS  # nobody is named: the session's eligibility now says no
    session.commit()
    wang = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=api_token("wangayi"))
    assert wang.status_code == 201  # in the electorate frozen at the opening
    assert newcomer.person_id is not None
    late = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=api_token("xinlai"))
    assert late.status_code == 404  # outside the electorate, and the session is not theirs to see


def test_ballots_carry_the_voters_facts(session, make_vote, residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True)
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["tenant"], vote, "disagree")  # advisory
    building = residents["li"].person.household.unit.building
    [outcome] = enter_paper_ballots(session, secretary, vote, building,
                                             [PaperEntry(room="101", choice="1", line=1)])
    assert outcome.status == "recorded"
    session.commit()
    rows = session.execute(select(Ballot, VoteVoter).join(VoteVoter, (VoteVoter.vote_id == Ballot.vote_id)
                                                          & (VoteVoter.voter_key == Ballot.voter_key))
                           .where(Ballot.vote_id == vote.id)).all()
    assert len(rows) == 3
    for ballot, voter in rows:
        assert (ballot.advisory, ballot.building, ballot.age_band, ballot.tenure, ballot.area_cents) == (
            voter.advisory, voter.building, voter.age_band, voter.tenure, voter.area_cents)
    assert {ballot.advisory for ballot, _voter in rows} == {True, False}


def test_the_electorate_is_counted_once_at_the_opening(session, make_vote, residents):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True)
    stored = {(g.advisory, g.building, g.age_band, g.tenure): (g.voters, g.area_cents) for g in session.execute(
        select(VoteElectorateGroup).where(VoteElectorateGroup.vote_id == vote.id)).scalars()}
    counted_now = {tuple(row[:4]): (row[4], row[5]) for row in session.execute(
        select(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure, func.count(),
               func.sum(VoteVoter.area_cents))
        .where(VoteVoter.vote_id == vote.id)
        .group_by(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure)).all()}
    assert stored == counted_now
    assert sum(n for (advisory, *_rest), (n, _a) in stored.items() if not advisory) == 3
    assert electorate_size(session, vote) == 3


def test_a_running_result_is_two_statements(session, make_vote, residents):
    vote = make_vote(rule_name="civil_code_ordinary")
    for name in ("wang", "li"):
        cast_ballot(session, residents[name], vote, "agree")
    session.commit()
    assert vote.options == []  # loaded with the vote where it is shown
    with recorded() as statements:
        report = report_for(session, vote)
    queries = [s for s in statements if not s.startswith(("BEGIN", "COMMIT"))]
    assert len(queries) == 2, queries  # the electorate's stored groups, the ballots' GROUP BY
    assert "vote_electorate_groups" in queries[0] and "GROUP BY" in queries[1]
    assert report.participants == 2 and report.areas["participants"] == str(Decimal("177.00"))


def test_ballots_written_without_facts_count_the_same_and_can_be_backfilled(session, make_vote, crowd_of_owners,
                                                                           secretary):
    vote = make_vote(rule_name="civil_code_ordinary", advisory_all=True)
    for n, user in enumerate(crowd_of_owners):
        cast_ballot(session, user, vote, ("agree", "disagree", "abstain", "agree")[n % 4])
    session.commit()
    expected = _report_figures(report_for(session, vote))
    expected_counts = live_counts(session, vote, show_results=False)
    # As bulk SQL writes them (the benchmark's million ballots): no facts, no counted electorate.
    session.execute(update(Ballot).where(Ballot.vote_id == vote.id).values(
        advisory=None, building=None, age_band=None, tenure=None, area_cents=None))
    session.execute(delete(VoteElectorateGroup).where(VoteElectorateGroup.vote_id == vote.id))
    session.commit()
    assert _report_figures(report_for(session, vote)) == expected
    assert live_counts(session, vote, show_results=False) == expected_counts
    backfill_ballot_facts(session, vote)
    session.commit()
    assert session.execute(select(func.count()).where(Ballot.vote_id == vote.id, Ballot.building.is_(None))
                           ).scalar() == 0
    assert session.execute(select(func.count()).select_from(VoteElectorateGroup)
                           .where(VoteElectorateGroup.vote_id == vote.id)).scalar() > 0
    assert _report_figures(report_for(session, vote)) == expected
    assert live_counts(session, vote, show_results=False) == expected_counts


def test_secret_ballots_lose_the_voters_facts_at_the_close(session, make_vote, residents, secretary):
    vote = make_vote(secret=True, rule_name="civil_code_ordinary")
    cast_ballot(session, residents["wang"], vote, "agree")
    cast_ballot(session, residents["li"], vote, "disagree")
    session.commit()
    assert session.execute(select(func.count()).where(Ballot.vote_id == vote.id, Ballot.building.is_not(None))
                           ).scalar() == 2
    close_vote(session, secretary, vote)
    session.commit()
    ballots = session.execute(select(Ballot).where(Ballot.vote_id == vote.id)).scalars().all()
    assert len(ballots) == 2
    for ballot in ballots:
        assert ballot.voter_key is None and ballot.cast_by_id is None
        assert (ballot.advisory, ballot.building, ballot.age_band, ballot.tenure, ballot.area_cents) == (
            None, None, None, None, None)
    report = report_for(session, vote)
    assert dict(report.tally_rows) == {"同意": 1, "不同意": 1, "弃权": 0}
    assert report.areas["participants"] == "177.00"


def test_the_first_ballot_after_a_scheduled_opening_is_counted(client, session, api_token, make_vote, residents):
    from datetime import timedelta

    from deliberation.db import utcnow

    vote = make_vote(open_now=False, opens_at=utcnow() + timedelta(hours=1))
    vote.opens_at = utcnow() - timedelta(minutes=1)  # the time has come; nobody has opened it yet
    session.commit()
    vote_id = vote.id
    response = client.post(f"/api/v1/votes/{vote_id}/ballot", json={"choice": "agree"}, headers=api_token("wangayi"))
    assert response.status_code == 201, response.get_json()
    assert session.execute(select(func.count()).where(Ballot.vote_id == vote_id)).scalar() == 1
