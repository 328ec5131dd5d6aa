"""The posted roll (表决权人名册公示): posting, reading, objections answered with the roster corrected, and the
opening held until the period has run and every objection is answered (《上海市住宅物业管理规定》 Art. 16)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from deliberation.accounts.models import Building, Ownership, Person, Unit
from deliberation.audit import AuditEvent
from deliberation.consultations import services as consultation_services
from deliberation.consultations.models import Eligibility, Phase
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.voting import lifecycle, objections, roll
from deliberation.voting.electorate import electorate_size
from deliberation.voting.lifecycle import VoteInput, create_vote, open_vote
from deliberation.voting.models import ObjectionStage, VoteObjection, VoteState
from tests.voting.rolls import post_roll_and_let_it_run

ROLL = ObjectionStage.ROLL


def _actions(session, prefix: str = "") -> list[str]:
    return [a for (a,) in session.execute(select(AuditEvent.action).order_by(AuditEvent.id)) if a.startswith(prefix)]


@pytest.fixture
def draft(make_vote):
    """A draft owners' vote under the Civil Code (the three owners of the residents fixture)."""
    return make_vote(open_now=False, rule_name="civil_code_ordinary")


@pytest.fixture
def posted(session, secretary, draft):
    """The draft with its roll posted for seven days, the period running."""
    roll.post_roll(session, secretary, draft, 7)
    session.commit()
    return draft


@pytest.fixture
def chinese_names(session, residents):
    names = {"wang": "王阿姨", "li": "李淑梅", "zhao": "欧阳明月", "tenant": "租户甲", "family": "家属乙"}
    for key, name in names.items():
        residents[key].person.name = name
    session.commit()
    return names


@pytest.mark.parametrize(("name", "masked"), [
    pytest.param("张伟", "张*", id="two_characters_keep_the_first"),
    pytest.param("张小伟", "张*伟", id="three_keep_first_and_last"),
    pytest.param("欧阳明月", "欧**月", id="four_keep_first_and_last"),
    pytest.param("王", "*", id="one_is_hidden"),
    pytest.param("", "", id="none"),
    pytest.param(" 李四 ", "李*", id="spaces_trimmed"),
])
def test_names_on_the_roll_are_masked(name, masked):
    assert roll.mask_name(name) == masked


@pytest.mark.parametrize(("basis", "rule_name", "needed"), [
    pytest.param("owner", "civil_code_ordinary", True, id="civil_code_ordinary"),
    pytest.param("owner", "civil_code_major", True, id="civil_code_major"),
    pytest.param("owner", "simple_majority", False, id="owners_by_a_simple_majority_may_post_one"),
    pytest.param("person", "simple_majority", False, id="residents_have_no_roll"),
    pytest.param("household", "quorum_majority", False, id="households_have_no_roll"),
])
def test_which_votes_need_a_posted_roll(make_vote, basis, rule_name, needed):
    vote = make_vote(open_now=False, basis=basis, rule_name=rule_name)
    assert roll.needs_roll(vote) is needed
    assert roll.may_post_roll(vote) is (basis == "owner")


@pytest.mark.parametrize(("days", "ok"), [
    pytest.param("0", False, id="zero"), pytest.param("1", True, id="one_day"),
    pytest.param("7", True, id="the_proposed_week"), pytest.param("60", True, id="sixty"),
    pytest.param("61", False, id="over_sixty"), pytest.param("七", False, id="not_a_number"),
    pytest.param("", False, id="empty"), pytest.param("-3", False, id="negative"),
])
def test_the_posting_period_is_one_to_sixty_days(session, secretary, draft, days, ok):
    if ok:
        roll.post_roll(session, secretary, draft, days)
        session.commit()
        assert draft.roll_until - draft.roll_posted_at == timedelta(days=int(days))
        assert _actions(session, "vote.roll")[-1] == "vote.roll.post"
    else:
        with pytest.raises(Invalid) as error:
            roll.post_roll(session, secretary, draft, days)
        assert "days" in error.value.fields
        session.rollback()
        assert draft.roll_posted_at is None and _actions(session, "vote.roll") == []


def test_posting_is_for_the_moderator_of_a_draft_owners_vote(session, secretary, residents, make_vote):
    draft = make_vote(open_now=False, rule_name="civil_code_ordinary")
    with pytest.raises(Forbidden):
        roll.post_roll(session, residents["wang"], draft, 7)
    with pytest.raises(Conflict):
        roll.post_roll(session, secretary, make_vote(open_now=False, basis="person"), 7)
    with pytest.raises(Conflict):
        roll.post_roll(session, secretary, make_vote(rule_name="civil_code_ordinary"), 7)  # opened: frozen


def test_a_running_period_may_be_lengthened_not_shortened_and_a_new_one_starts_after_it_ran(session, secretary,
                                                                                           posted):
    first_posted, until = posted.roll_posted_at, posted.roll_until
    with pytest.raises(Invalid):
        roll.post_roll(session, secretary, posted, 3)
    session.rollback()
    roll.post_roll(session, secretary, posted, 10)
    session.commit()
    assert posted.roll_posted_at == first_posted and posted.roll_until > until
    posted.roll_posted_at = utcnow() - timedelta(days=20)
    posted.roll_until = utcnow() - timedelta(days=1)
    session.commit()
    roll.post_roll(session, secretary, posted, 2)  # a new posting, after corrections say
    session.commit()
    assert posted.roll_posted_at > utcnow() - timedelta(minutes=1)


def test_the_period_must_end_before_a_planned_opening(session, secretary, make_vote):
    vote = make_vote(open_now=False, rule_name="civil_code_ordinary", opens_at=utcnow() + timedelta(days=5))
    with pytest.raises(Invalid):
        roll.post_roll(session, secretary, vote, 7)
    session.rollback()
    roll.post_roll(session, secretary, vote, 4)


def test_the_roll_lists_units_masked_owners_and_areas_in_natural_order_with_totals(session, posted, residents,
                                                                                chinese_names):
    residents["zhao"].person.household.unit.area = Decimal("101.25")
    session.commit()
    read = roll.read_roll(session, residents["tenant"], posted)  # a tenant reads it too: the whole community
    assert not read.frozen and read.voters == 3 and read.area == "278.25"
    rows = [([u.label for u in e.units], e.owners, e.area) for e in read.entries.items]
    assert rows == [(["3号楼302室"], ("王*姨",), "88.50"), (["5号楼101室"], ("李*梅",), "88.50"),
                    (["5号楼102室"], ("欧**月",), "101.25")]
    assert read.counted_text.startswith("本居民区业主共 3 户，专有面积合计 278.25 ㎡")
    second = roll.read_roll(session, residents["tenant"], posted, page=2, per_page=2)
    assert second.entries.total == 3 and second.entries.pages == 2 and len(second.entries.items) == 1


def test_co_owners_and_several_units_are_one_row_as_the_law_counts_them(session, posted, residents, secretary):
    wang, li = residents["wang"], residents["li"]
    session.add(Ownership(person_id=wang.person_id, unit_id=li.person.household.unit_id))  # wang also owns 5-101
    session.commit()
    read = roll.read_roll(session, secretary, posted)
    assert read.voters == 2  # wang and li are linked through 5号楼101室: one voter, areas summed
    first = read.entries.items[0]
    assert [u.label for u in first.units] == ["3号楼302室", "5号楼101室"] and first.area == "177.00"


def test_the_roll_before_it_is_posted_is_the_moderators_only(session, draft, residents, secretary, outsider):
    with pytest.raises(NotFound):
        roll.read_roll(session, residents["wang"], draft)
    assert roll.read_roll(session, secretary, draft).voters == 3
    roll.post_roll(session, secretary, draft, 7)
    session.commit()
    assert roll.read_roll(session, residents["wang"], draft).voters == 3
    with pytest.raises(NotFound):
        roll.read_roll(session, outsider, draft)


def test_a_roll_of_one_building_counts_only_its_owners_and_says_so(session, secretary, community, residents,
                                                                    proposals):
    scoped = consultation_services.create_consultation(
        session, secretary, community, consultation_services.ConsultationInput(
            title="5号楼加装电梯", background="加装电梯。", eligibility=Eligibility.BUILDINGS,
            building_ids=[session.execute(select(Building.id).where(Building.name == "5号楼")).scalar_one()]))
    consultation_services.move_phase(session, secretary, scoped, Phase.VOTING)
    plan = consultation_services.create_proposal(session, secretary, scoped, "加装电梯方案", "内容")
    vote = create_vote(session, secretary, scoped, VoteInput(title="是否加装电梯", proposal_id=plan.id,
                                                             rule_name="civil_code_major"))
    roll.post_roll(session, secretary, vote, 7)
    session.commit()
    read = roll.read_roll(session, residents["li"], vote)
    assert read.voters == 2 and read.counted_text.startswith("本楼（5号楼）业主共 2 户，专有面积合计 177.00 ㎡")
    assert all(u.label.startswith("5号楼") for e in read.entries.items for u in e.units)


def test_an_accepted_area_objection_corrects_the_unit_and_the_roll_is_recounted(session, secretary, posted,
                                                                               residents):
    wang = residents["wang"]
    unit_id = wang.person.household.unit_id
    objection = roll.lodge_objection(session, wang, posted, "area", "产证面积为 90.20 ㎡", unit_id)
    session.commit()
    with pytest.raises(Invalid) as error:  # accepted, the moderator types the right area
        roll.answer_objection(session, secretary, objection, True, "", area="九十")
    assert "area" in error.value.fields
    session.rollback()
    roll.answer_objection(session, secretary, objection, True, "已按产证更正", area="90.20 ㎡")
    session.commit()
    assert session.get(Unit, unit_id).area == Decimal("90.20")
    assert objection.correction["old"] == "88.50" and objection.correction["new"] == "90.20"
    assert objection.correction["recount"] == {"before": {"voters": 3, "area_cents": 26550},
                                               "after": {"voters": 3, "area_cents": 26720}}
    assert roll.read_roll(session, wang, posted).area == "267.20"
    assert "88.50 ㎡ → 90.20 ㎡" in roll.correction_text(objection.correction)
    assert _actions(session)[-2:] == ["roster.unit_area", "vote.objection.answer"]


def test_an_accepted_owner_objection_changes_the_owners(session, secretary, posted, residents, chinese_names):
    li = residents["li"]
    unit_id = li.person.household.unit_id
    objection = roll.lodge_objection(session, li, posted, "owner", "已过户给张小伟", unit_id)
    session.commit()
    roll.answer_objection(session, secretary, objection, True, "已核对过户材料", owners="张小伟")
    session.commit()
    owners = session.execute(select(Person.name).join(Ownership).where(Ownership.unit_id == unit_id)).scalars().all()
    assert owners == ["张小伟"]
    assert objection.correction["old"] == ["李淑梅"] and objection.correction["new"] == ["张小伟"]
    read = roll.read_roll(session, secretary, posted)
    assert ("张*伟",) in [e.owners for e in read.entries.items] and read.voters == 3


def test_a_missing_unit_is_added_with_its_owner(session, secretary, posted, residents):
    building = session.execute(select(Building).where(Building.name == "3号楼")).scalar_one()
    unit = Unit(building=building, room="401", area=Decimal("70.00"))
    session.add(unit)
    session.commit()
    objection = roll.lodge_objection(session, residents["wang"], posted, "missing", "401室业主遗漏", unit.id)
    roll.answer_objection(session, secretary, objection, True, "已补录", owners="陈大明")
    session.commit()
    assert roll.read_roll(session, secretary, posted).voters == 4
    assert objection.correction["recount"]["after"] == {"voters": 4, "area_cents": 33550}


def test_a_rejection_says_why_and_the_objector_reads_it(session, secretary, posted, residents):
    objection = roll.lodge_objection(session, residents["wang"], posted, "area", "面积有误",
                                     residents["wang"].person.household.unit_id)
    session.commit()
    with pytest.raises(Invalid):
        roll.answer_objection(session, secretary, objection, False, "  ")
    session.rollback()
    roll.answer_objection(session, secretary, objection, False, "产证面积即为 88.50 ㎡")
    session.commit()
    assert objection.accepted is False and objection.correction is None
    assert session.get(Unit, residents["wang"].person.household.unit_id).area == Decimal("88.50")
    [mine] = objections.listing(session, residents["wang"], posted, ROLL)
    assert mine.answer == "产证面积即为 88.50 ㎡"


def test_the_vote_opens_only_after_the_period_has_run_and_every_objection_is_answered(session, secretary, draft,
                                                                                     residents):
    with pytest.raises(Conflict, match="公示"):  # not posted
        open_vote(session, secretary, draft)
    session.rollback()
    roll.post_roll(session, secretary, draft, 7)
    objection = roll.lodge_objection(session, residents["li"], draft, "other", "名册少了车位")
    session.commit()
    with pytest.raises(Conflict, match="公示期内"):
        open_vote(session, secretary, draft)
    session.rollback()
    draft.roll_posted_at = utcnow() - timedelta(days=8)
    draft.roll_until = utcnow() - timedelta(minutes=1)
    session.commit()
    with pytest.raises(Conflict, match="异议尚未答复"):
        open_vote(session, secretary, draft)
    session.rollback()
    live = roll.read_roll(session, secretary, draft)
    roll.answer_objection(session, secretary, objection, False, "车位不属于专有部分")
    open_vote(session, secretary, draft)
    session.commit()
    assert draft.state == VoteState.OPEN and electorate_size(session, draft) == 3
    frozen = roll.read_roll(session, residents["li"], draft)
    assert frozen.frozen and frozen.entries.items == live.entries.items and frozen.area == live.area
    assert not draft.objections_open(ROLL)


def test_a_scheduled_opening_is_held_while_the_roll_holds_it_back(session, secretary, draft, client, login):
    draft.opens_at = utcnow() - timedelta(minutes=5)  # the planned time has come, the roll was never posted
    session.commit()
    vote = lifecycle.catch_up(session, draft)
    assert vote.opened_at is None and vote.opens_at is None and vote.state == VoteState.DRAFT
    assert _actions(session)[-1] == "vote.open_held"
    login("shuji")
    page = client.get(f"/votes/{vote.id}").get_data(as_text=True)
    assert 'id="roll-held"' in page and "请先公示名册" in page
    post_roll_and_let_it_run(session, secretary, vote)
    vote.opens_at = utcnow() - timedelta(minutes=1)  # scheduled again, the roll ready: it opens on time
    session.commit()
    assert lifecycle.catch_up(session, vote).opened_at is not None


def test_objections_after_the_period_or_from_elsewhere_are_refused(session, posted, residents, outsider):
    with pytest.raises(Forbidden):
        roll.lodge_objection(session, outsider, posted, "area", "面积不对")
    posted.roll_until = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(Conflict):
        roll.lodge_objection(session, residents["wang"], posted, "area", "面积不对")
    session.rollback()
    assert session.scalar(select(func.count()).select_from(VoteObjection)) == 0


# -- the pages ---------------------------------------------------------------------------------


def test_the_moderator_posts_the_roll_through_a_confirmation(client, session, login, draft):
    login("shuji")
    form = client.get(f"/votes/{draft.id}/roll/post").get_data(as_text=True)
    assert 'value="7"' in form
    bad = client.post(f"/votes/{draft.id}/roll/post", data={"days": "99"})
    assert bad.status_code == 422 and "1 到 60" in bad.get_data(as_text=True) and 'value="99"' in bad.get_data(
        as_text=True)
    confirm = client.post(f"/votes/{draft.id}/roll/post", data={"days": "10"})
    assert confirm.status_code == 200 and 'id="confirm-action"' in confirm.get_data(as_text=True)
    assert 'name="confirmed" type="hidden" value="yes"' in confirm.get_data(as_text=True)
    session.refresh(draft)
    assert draft.roll_posted_at is None  # nothing posted before the confirmation
    done = client.post(f"/votes/{draft.id}/roll/post", data={"days": "10", "confirmed": "yes"})
    assert done.status_code == 302
    session.refresh(draft)
    assert draft.roll_until - draft.roll_posted_at == timedelta(days=10)


def test_residents_read_the_roll_from_the_vote_page_and_object(client, session, login, posted, residents,
                                                                chinese_names):
    login("wangayi")
    page = client.get(f"/votes/{posted.id}").get_data(as_text=True)
    assert "表决权人名册公示中" in page and f"/votes/{posted.id}/roll" in page
    listing = client.get(f"/votes/{posted.id}/roll").get_data(as_text=True)
    assert "王*姨" in listing and "王阿姨" not in listing and "本居民区业主共 3 户" in listing
    unit_id = residents["wang"].person.household.unit_id
    prefilled = client.get(f"/votes/{posted.id}/roll?unit={unit_id}").get_data(as_text=True)
    assert 'value="302"' in prefilled
    building_id = session.execute(select(Building.id).where(Building.name == "3号楼")).scalar_one()
    missing = client.post(f"/votes/{posted.id}/roll/objections",
                          data={"kind": "area", "building_id": building_id, "room": "999", "reason": "面积有误"})
    assert missing.status_code == 422 and "该楼栋没有这个室号" in missing.get_data(as_text=True)
    assert 'value="999"' in missing.get_data(as_text=True)
    done = client.post(f"/votes/{posted.id}/roll/objections",
                       data={"kind": "area", "building_id": building_id, "room": "302室", "reason": "应为 90.20 ㎡"})
    assert done.status_code == 302
    [objection] = session.execute(select(VoteObjection)).scalars().all()
    assert objection.unit_id == unit_id and objection.kind == "area"
    roll.answer_objection(session, session.merge(posted.created_by), objection, False, "产证面积为 88.50 ㎡")
    session.commit()
    mine = client.get(f"/votes/{posted.id}/roll").get_data(as_text=True)
    assert "未采纳" in mine and "产证面积为 88.50 ㎡" in mine


def test_the_moderator_answers_with_a_correction_after_confirming(client, session, login, posted, residents):
    objection = roll.lodge_objection(session, residents["wang"], posted, "area", "面积有误",
                                     residents["wang"].person.household.unit_id)
    session.commit()
    login("shuji")
    listing = client.get(f"/votes/{posted.id}/roll/objections").get_data(as_text=True)
    assert "面积有误" in listing and "3号楼302室" in listing
    url = f"/votes/{posted.id}/roll/objections/{objection.id}/answer"
    prefix = f"o{objection.id}-"
    bad = client.post(url, data={prefix + "decision": "accept", prefix + "area": "abc"})
    assert bad.status_code == 422 and "最多两位小数" in bad.get_data(as_text=True)
    confirm = client.post(url, data={prefix + "decision": "accept", prefix + "area": "90.2"})
    assert "88.50 ㎡ 改为 90.20 ㎡" in confirm.get_data(as_text=True)
    assert 'value="yes"' in confirm.get_data(as_text=True) and f'name="{prefix}area" value="90.2"' in confirm.get_data(
        as_text=True)
    assert session.get(Unit, objection.unit_id).area == Decimal("88.50")
    done = client.post(url, data={prefix + "decision": "accept", prefix + "area": "90.2", "confirmed": "yes"})
    assert done.status_code == 302
    session.expire_all()
    assert session.get(Unit, objection.unit_id).area == Decimal("90.20")
    again = client.post(url, data={prefix + "decision": "reject", prefix + "answer": "再答", "confirmed": "yes"})
    assert again.status_code == 303 and _actions(session)[-1] == "vote.objection.answer_refused"


def test_opening_refused_by_the_page_is_said_and_audited(client, session, login, posted):
    login("shuji")
    response = client.post(f"/votes/{posted.id}/open", follow_redirects=True)
    assert "公示期内不能开启表决" in response.get_data(as_text=True)
    session.refresh(posted)
    assert posted.opened_at is None and _actions(session)[-1] == "vote.open_refused"


def test_another_communitys_roll_and_objections_answer_404(client, session, login, posted, residents, make_user,
                                                           other_community):
    objection = roll.lodge_objection(session, residents["wang"], posted, "other", "名册有误")
    session.commit()
    make_user("mod_b", other_community, role="moderator")
    login("mod_b")
    for path in (f"/votes/{posted.id}/roll", f"/votes/{posted.id}/roll/objections",
                 f"/votes/{posted.id}/roll/post"):
        assert client.get(path).status_code == 404, path
    answer = client.post(f"/votes/{posted.id}/roll/objections/{objection.id}/answer",
                         data={f"o{objection.id}-decision": "reject", f"o{objection.id}-answer": "x",
                               "confirmed": "yes"})
    assert answer.status_code == 404
    session.refresh(objection)
    assert objection.answered_at is None
