"""Fixtures of the voting tests: a community, its secretary, residents, a consultation and votes."""

from __future__ import annotations

import pytest

from deliberation.consultations import services as consultation_services
from deliberation.consultations.models import Phase
from deliberation.voting.lifecycle import VoteInput, create_vote, open_vote
from tests.voting.rolls import ready_to_open


@pytest.fixture
def residents(make_user, community):
    """Three owners in 3号楼 and 5号楼, a tenant and a family member."""
    return {
        "wang": make_user("wangayi", community, building="3号楼", room="302"),
        "li": make_user("lishushu", community, building="5号楼", room="101"),
        "zhao": make_user("zhaoxiansheng", community, building="5号楼", room="102"),
        "tenant": make_user("zuhu", community, tenure="tenant", building="3号楼", room="303"),
        "family": make_user("jiashu", community, tenure="family", building="5号楼", room="103"),
    }


@pytest.fixture
def consultation(session, secretary, community):
    consultation = consultation_services.create_consultation(
        session, secretary, community,
        consultation_services.ConsultationInput(title="党群服务站升级改造方案征询", background="服务站面积小。"))
    consultation_services.move_phase(session, secretary, consultation, Phase.VOTING)
    session.commit()
    return consultation


@pytest.fixture
def proposals(session, secretary, consultation):
    made = [
        consultation_services.create_proposal(session, secretary, consultation, title, "内容", is_variant=True)
        for title in ("方案一：原址改造", "方案二：并入车棚", "方案三：暂缓")
    ]
    session.commit()
    return made


@pytest.fixture
def make_vote(session, secretary, consultation, proposals):
    """A vote created through the service; opened unless told otherwise."""

    def make(*, open_now: bool = True, **fields):
        data = VoteInput(title=fields.pop("title", "是否同意方案一"), **fields)
        if data.kind == "proposal" and data.proposal_id is None:
            data.proposal_id = proposals[0].id
        vote = create_vote(session, secretary, consultation, data)
        if open_now:
            ready_to_open(session, secretary, vote)
            open_vote(session, secretary, vote)
        session.commit()
        return vote

    return make


@pytest.fixture
def crowd_of_owners(session, make_user, community):
    """Twelve owners and tenants in three buildings, born across the age bands, owning different areas."""
    from decimal import Decimal

    users = []
    for n in range(12):
        user = make_user(f"yezhu{n:02d}", community, building=f"{n % 3 + 1}号楼", room=f"{n + 1:02d}01",
                         tenure="tenant" if n % 4 == 3 else "owner")
        user.person.birth_year = 1940 + n * 6
        user.person.household.unit.area = Decimal("60.00") + n
        users.append(user)
    session.commit()
    return users
