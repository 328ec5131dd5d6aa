"""Fixtures of the counter (帮办) tests: the voting tests' community, residents and votes, the surveys' builder,
a session taking comments, a resident with no login, and a floor captain of 5号楼."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliberation.accounts.models import Building, Household, Person, Tenure, Unit
from deliberation.consultations import comments, sessions
from deliberation.consultations.models import Phase
from deliberation.db import utcnow
from deliberation.voting.paper import grant_captain
from tests.surveys.conftest import make_survey  # noqa: F401  (a fixture)
from tests.voting.conftest import consultation, make_vote, proposals, residents  # noqa: F401  (fixtures)


@pytest.fixture
def no_login(session, community, residents):  # noqa: F811  (5号楼 exists once the residents do)
    """钱阿婆, an owner in 5号楼 104 who never signed in: a person of the roster, no user."""
    from decimal import Decimal

    from deliberation.accounts.models import Ownership

    building = session.query(Building).filter_by(community_id=community.id, name="5号楼").one()
    unit = Unit(building=building, room="104", area=Decimal("70.00"))
    person = Person(community=community, name="钱阿婆", tenure=Tenure.OWNER, birth_year=1940, phone="13900001111",
                    household=Household(unit=unit))
    session.add_all([person, Ownership(person=person, unit=unit)])
    session.commit()
    return person


@pytest.fixture
def captain(session, make_user, community, secretary, residents):  # noqa: F811
    """A resident of 5号楼 who is its floor captain (楼组长)."""
    user = make_user("louzuzhang", community, building="5号楼", room="501")
    building = session.query(Building).filter_by(community_id=community.id, name="5号楼").one()
    grant_captain(session, secretary, community, user.username, building.id)
    session.commit()
    return user


@pytest.fixture
def commenting(session, secretary, community):
    """A session in its commenting phase with a round open for a week."""
    made = sessions.create_consultation(session, secretary, community,
                                        sessions.ConsultationInput(title="加装电梯意见征集", background="背景"))
    sessions.move_phase(session, secretary, made, Phase.COMMENTING)
    comments.open_round(session, secretary, made, utcnow() + timedelta(days=7))
    session.commit()
    return made
