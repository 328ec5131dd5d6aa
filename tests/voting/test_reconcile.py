"""Paper forms against ballots already counted: conflicts said truly (the owner, the other unit, the
choice counted), settled in bulk, an override told to the voter with the receipt that now counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from deliberation.accounts.models import Household, Ownership, Person, Tenure, Unit
from deliberation.audit import AuditEvent
from deliberation.consultations.models import Notification
from deliberation.extensions import db
from deliberation.voting.casting import cast_ballot
from deliberation.voting.lifecycle import close_vote
from deliberation.voting.models import Ballot, BallotSource, PaperConflict
from deliberation.voting.paper import PaperEntry, enter_paper_ballots, resolve_conflict
from deliberation.voting.receipts import find_receipt, paper_receipt
from deliberation.voting.reconcile import replaced_receipt, settle_conflicts

# The notices a settled conflict sends (the vote's opening told everyone too).
REPLACED = Notification.text.like("%纸质征询单取代%")


@pytest.fixture
def second_unit(session, residents):
    """lishushu owns 5号楼101 and also 5号楼106 (before the vote opens)."""
    li = residents["li"]
    building = li.person.household.unit.building
    unit = Unit(building=building, room="106", area=Decimal("70.00"))
    session.add_all([unit, Ownership(person=li.person, unit=unit)])
    session.commit()
    return unit


@pytest.fixture
def co_owner(session, residents, community):
    """王叔叔 co-owns wangayi's 3号楼302 (a second owner of the same unit)."""
    unit = residents["wang"].person.household.unit
    person = Person(community=community, name="王叔叔", tenure=Tenure("owner"), birth_year=1958,
                    phone="13800138001", household=session.get(Household, residents["wang"].person.household_id))
    session.add_all([person, Ownership(person=person, unit=unit)])
    session.commit()
    return person


def actions(session, prefix: str = "ballot.") -> list[str]:
    return list(session.execute(select(AuditEvent.action).where(AuditEvent.action.like(f"{prefix}%"))
                                .order_by(AuditEvent.id)).scalars())


def enter(session, secretary, vote, building, *lines: tuple[str, str] | tuple[str, str, str]):
    entries = [PaperEntry(*line, line=n) for n, line in enumerate(lines, start=1)]
    return enter_paper_ballots(session, secretary, vote, building, entries)


@pytest.mark.parametrize(("secret", "first", "second", "said", "not_said"), [
    pytest.param(False, ("101", "1"), ("106", "2"),
                 ["5号楼106室", "lishushu", "已由5号楼101室的征询单计入一票（同意）", "同一业主只计一票"],
                 ["106室的征询单已录入过"], id="owner_of_two_units_names_the_other_unit"),
    pytest.param(False, ("101", "1"), ("101", "2"), ["5号楼101室的征询单已录入过（同意）"], ["网上"],
                 id="the_same_units_form_twice"),
    pytest.param(False, "online", ("106", "2"), ["lishushu已在网上投票（同意）"], ["录入过"],
                 id="online_ballot_then_a_form"),
    pytest.param(True, "online", ("101", "2"), ["lishushu已在网上投票（无记名表决，不显示）"], ["同意"],
                 id="secret_vote_keeps_the_online_choice_hidden"),
    pytest.param(True, ("101", "1"), ("106", "3"), ["已由5号楼101室的征询单计入一票（无记名表决，不显示）"], ["同意"],
                 id="secret_vote_keeps_the_paper_choice_hidden"),
])
def test_a_conflict_names_the_owner_the_other_unit_and_the_choice_counted(
        session, make_vote, residents, secretary, second_unit, secret, first, second, said, not_said):
    vote = make_vote(rule_name="civil_code_ordinary", secret=secret)
    li = residents["li"]
    building = second_unit.building
    if first == "online":
        cast_ballot(session, li, vote, "agree")
    else:
        assert enter(session, secretary, vote, building, first)[0].status == "recorded"
    [outcome] = enter(session, secretary, vote, building, second)
    session.commit()
    assert outcome.status == "conflict"
    for words in said:
        assert words in outcome.message
    for words in not_said:
        assert words not in outcome.message
    # nothing counted twice: one ballot for the owner, the first choice kept, the form set aside and audited
    ballots = session.execute(select(Ballot.choice)).scalars().all()
    assert ballots == ["agree"]
    assert session.execute(select(func.count(PaperConflict.id))).scalar() == 1
    assert actions(session)[-1] == "ballot.paper_conflict"


@pytest.mark.parametrize("line", [
    pytest.param(("302", "2"), id="without_a_name"),
    pytest.param(("302", "2", "王叔叔"), id="with_the_co_owners_name"),
])
def test_a_form_for_a_unit_whose_co_owner_voted_online_is_never_counted_twice(
        session, make_vote, residents, secretary, co_owner, line):
    vote = make_vote(rule_name="civil_code_ordinary")
    cast_ballot(session, residents["wang"], vote, "agree")
    building = residents["wang"].person.household.unit.building
    [outcome] = enter(session, secretary, vote, building, line)
    session.commit()
    # Co-owners are one voter (the unit): the message names its owners and the choice already counted.
    expected = {"error": "有多位表决权人", "conflict": "wangayi、王叔叔已在网上投票（同意）"}
    assert outcome.status in expected and expected[outcome.status] in outcome.message
    assert session.execute(select(Ballot.choice)).scalars().all() == ["agree"]
    assert actions(session)[-1] in ("ballot.paper_refused", "ballot.paper_conflict")


@pytest.fixture
def two_conflicts(session, make_vote, residents, secretary, second_unit):
    """lishushu (101, 106) and zhaoxiansheng (102) voted online; their paper forms conflict.
    A second vote has a conflict of its own. Returns the vote, the conflicts by name and old receipts."""
    vote = make_vote(rule_name="civil_code_ordinary")
    other = make_vote(rule_name="civil_code_ordinary", title="另一项表决")
    old = {"li": cast_ballot(session, residents["li"], vote, "agree").receipt,
           "zhao": cast_ballot(session, residents["zhao"], vote, "agree").receipt}
    cast_ballot(session, residents["li"], other, "agree")
    building = second_unit.building
    enter(session, secretary, vote, building, ("101", "2"), ("102", "3"), ("106", "1"))
    enter(session, secretary, other, building, ("101", "2"))
    session.commit()
    by_unit = {c.unit_label: c for c in session.execute(select(PaperConflict).where(PaperConflict.vote_id == vote.id))
               .scalars()}
    conflicts = {"li101": by_unit["5号楼101室"], "zhao102": by_unit["5号楼102室"], "li106": by_unit["5号楼106室"],
                 "other_vote": session.execute(select(PaperConflict).where(PaperConflict.vote_id == other.id))
                 .scalar_one()}
    return vote, other, conflicts, old


@pytest.mark.parametrize(("resolution", "chosen", "settled", "set_aside", "choices", "told"), [
    pytest.param("paper", ["li101", "zhao102"], ["li101", "zhao102"], [], {"li": "disagree", "zhao": "abstain"},
                 ["lishushu", "zhaoxiansheng"], id="count_two_forms_at_once"),
    pytest.param("keep", ["li101", "zhao102", "li106"], ["li101", "zhao102", "li106"], [],
                 {"li": "agree", "zhao": "agree"}, [], id="keep_the_online_ballots"),
    pytest.param("paper", ["li101", "other_vote"], ["li101"], ["other_vote"], {"li": "disagree", "zhao": "agree"},
                 ["lishushu"], id="a_conflict_of_another_vote_is_set_aside"),
    pytest.param("paper", ["li101", "li106"], ["li101"], ["li106"], {"li": "disagree", "zhao": "agree"},
                 ["lishushu"], id="two_forms_of_one_owner_count_once"),
])
def test_conflicts_are_settled_in_bulk(session, residents, secretary, two_conflicts, resolution, chosen, settled,
                                       set_aside, choices, told):
    vote, other, conflicts, _old = two_conflicts
    ids = [conflicts[name].id for name in chosen]
    outcomes = settle_conflicts(session, secretary, vote, ids, resolution)
    session.commit()
    assert [o.conflict_id for o in outcomes if o.status == "settled"] == [conflicts[n].id for n in settled]
    assert [o.conflict_id for o in outcomes if o.status == "set_aside"] == [conflicts[n].id for n in set_aside]
    for outcome in outcomes:
        if outcome.status == "set_aside":
            assert "不属于本表决" in outcome.message or "只计一票" in outcome.message
    ballots = dict(session.execute(select(Ballot.voter_key, Ballot.choice).where(Ballot.vote_id == vote.id)).all())
    assert ballots == {f"o:{residents[who].person_id}": choice for who, choice in choices.items()}
    # the other vote's conflict is untouched
    session.refresh(conflicts["other_vote"])
    assert conflicts["other_vote"].resolved_at is None
    assert session.execute(select(Ballot.choice).where(Ballot.vote_id == other.id)).scalar_one() == "agree"
    notified = session.execute(select(Notification.user_id).where(REPLACED)).scalars().all()
    assert sorted(notified) == sorted(residents[w].id for w in ("li", "zhao") if residents[w].username in told)
    done = actions(session, "ballot.conflict_")
    assert done.count("ballot.conflict_resolved") == len(settled)
    assert done.count("ballot.conflict_set_aside") == len(set_aside)


def test_an_override_gives_the_voter_the_forms_receipt_and_the_old_one_says_replaced(
        client, login, session, residents, secretary, two_conflicts):
    vote, _other, conflicts, old = two_conflicts
    li = residents["li"]
    settle_conflicts(session, secretary, vote, [conflicts["li101"].id], "paper")
    session.commit()
    new_code, digest = paper_receipt(vote.id, conflicts["li101"].unit_id, f"o:{li.person_id}")
    ballot = session.execute(select(Ballot).where(Ballot.vote_id == vote.id,
                                                  Ballot.voter_key == f"o:{li.person_id}")).scalar_one()
    assert ballot.receipt_hash == digest and ballot.source == BallotSource.PAPER
    [text] = session.execute(select(Notification.text).where(Notification.user_id == li.id, REPLACED)).scalars().all()
    assert new_code in text and "5号楼101室" in text and "不同意" in text and "原回执码已作废" in text
    assert find_receipt(session, vote, old["li"]) is None
    assert replaced_receipt(session, vote, old["li"]).id == conflicts["li101"].id
    assert replaced_receipt(session, vote, old["zhao"]) is None
    close_vote(session, secretary, vote)
    session.commit()
    login("lishushu")
    page = client.get(f"/votes/{vote.id}/receipts", query_string={"code": old["li"]}).get_data(as_text=True)
    assert 'id="receipt-replaced"' in page and "已被5号楼101室的纸质征询单取代" in page
    page = client.get(f"/votes/{vote.id}/receipts", query_string={"code": new_code}).get_data(as_text=True)
    assert 'id="receipt-found"' in page and "不同意" in page


def test_voters_of_forms_counted_at_once_are_each_told_their_own_read_once(session, residents, secretary,
                                                                                 two_conflicts):
    """Two paper forms counted in one go: each voter's notice names their own flat and receipt, and the readers'
    languages and channels are read once, however many forms."""
    vote, _other, conflicts, _old = two_conflicts
    li, zhao = residents["li"], residents["zhao"]
    statements: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        settle_conflicts(session, secretary, vote, [conflicts["li101"].id, conflicts["zhao102"].id], "paper")
        session.flush()
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    session.commit()
    texts = dict(session.execute(select(Notification.user_id, Notification.text).where(REPLACED)).all())
    li_code, _digest = paper_receipt(vote.id, conflicts["li101"].unit_id, f"o:{li.person_id}")
    zhao_code, _digest = paper_receipt(vote.id, conflicts["zhao102"].unit_id, f"o:{zhao.person_id}")
    assert li_code in texts[li.id] and "5号楼101室" in texts[li.id] and zhao_code not in texts[li.id]
    assert zhao_code in texts[zhao.id] and "5号楼102室" in texts[zhao.id] and li_code not in texts[zhao.id]
    # The readers' languages and their channels are read once for both forms, not once a form.
    reads = [s for s in statements if s.startswith(("SELECT users.id, users.locale", "SELECT users.id, users.email"))]
    assert len(reads) == 2, reads


def test_a_secret_votes_override_points_to_the_stub_without_the_code(session, make_vote, residents, secretary):
    vote = make_vote(rule_name="civil_code_ordinary", secret=True)
    li = residents["li"]
    cast_ballot(session, li, vote, "agree")
    enter(session, secretary, vote, li.person.household.unit.building, ("101", "2"))
    conflict = session.execute(select(PaperConflict)).scalar_one()
    resolve_conflict(session, secretary, vote, conflict.id, "paper")
    session.commit()
    code, _digest = paper_receipt(vote.id, conflict.unit_id, f"o:{li.person_id}")
    [text] = session.execute(select(Notification.text).where(REPLACED)).scalars().all()
    assert "回执联" in text and code not in text and "不同意" not in text


@pytest.mark.parametrize(("ids", "resolution", "message"), [
    pytest.param([], "paper", "请至少选择一个冲突", id="nothing_ticked"),
    pytest.param(["li101"], "both", "请选择处理方式", id="unknown_resolution"),
])
def test_a_bulk_settle_without_a_choice_is_refused_and_changes_nothing(
        client, login, session, residents, secretary, two_conflicts, ids, resolution, message):
    vote, _other, conflicts, _old = two_conflicts
    login("shuji")
    response = client.post(f"/votes/{vote.id}/conflicts/settle", data={
        "resolution": resolution, "conflict_ids": [conflicts[n].id for n in ids]}, follow_redirects=True)
    assert response.status_code == 200 and message in response.get_data(as_text=True)
    assert session.execute(select(func.count(PaperConflict.id)).where(PaperConflict.resolved_at.is_not(None))
                           ).scalar() == 0
    assert set(session.execute(select(Ballot.choice).where(Ballot.vote_id == vote.id)).scalars()) == {"agree"}
    assert actions(session)[-1] == "ballot.conflict_refused"  # the refusal is on record


def test_the_paper_page_settles_ticked_conflicts_and_explains_the_rest(client, login, session, residents,
                                                                      secretary, two_conflicts):
    vote, _other, conflicts, _old = two_conflicts
    login("shuji")
    page = client.get(f"/votes/{vote.id}/paper").get_data(as_text=True)
    assert "lishushu已在网上投票（同意）" in page and "zhaoxiansheng已在网上投票（同意）" in page
    assert 'name="conflict_ids"' in page
    response = client.post(f"/votes/{vote.id}/conflicts/settle", data={
        "resolution": "paper", "conflict_ids": [conflicts["li101"].id, conflicts["other_vote"].id]},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "已处理 1 个冲突" in html and f"第 {conflicts['other_vote'].id} 号冲突不属于本表决" in html
    assert session.execute(select(Ballot.choice).where(Ballot.voter_key == f"o:{residents['li'].person_id}",
                                                       Ballot.vote_id == vote.id)).scalar_one() == "disagree"
