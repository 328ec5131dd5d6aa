"""A comment round shows when it really ended: closed early by hand, or cut short by the move to voting."""

from __future__ import annotations

from datetime import timedelta

import pytest

from deliberation.audit import AuditEvent
from deliberation.consultations import services
from deliberation.consultations.models import Phase
from deliberation.db import utcnow


@pytest.fixture
def commenting(session, secretary, community):
    consultation = services.create_consultation(session, secretary, community, services.ConsultationInput(
        title="加装电梯征询", background="多层住宅加装电梯。", participants="居委会、居民代表"))
    services.move_phase(session, secretary, consultation, Phase.COMMENTING)
    session.commit()
    return consultation


@pytest.mark.parametrize("how", ["closed_by_hand", "moved_to_voting", "moved_to_closed"])
def test_a_round_ended_early_records_when_it_ended(session, secretary, commenting, how):
    scheduled = utcnow() + timedelta(days=3)
    round_ = services.open_round(session, secretary, commenting, scheduled)
    session.commit()
    before = utcnow()
    if how == "closed_by_hand":
        services.close_round(session, secretary, round_)
    else:
        services.move_phase(session, secretary, commenting, Phase.VOTING if how == "moved_to_voting" else Phase.CLOSED)
    session.commit()
    session.refresh(round_)
    assert before <= round_.closes_at <= utcnow() < scheduled
    if how != "closed_by_hand":
        event = session.query(AuditEvent).filter_by(action="consultation.phase").order_by(AuditEvent.id.desc()).first()
        assert event.data["rounds_closed"] == [1]


def test_a_round_already_over_keeps_its_own_end(session, secretary, commenting):
    round_ = services.open_round(session, secretary, commenting, utcnow() + timedelta(days=3))
    services.close_round(session, secretary, round_)
    session.commit()
    ended = round_.closes_at
    services.move_phase(session, secretary, commenting, Phase.VOTING)
    session.commit()
    session.refresh(round_)
    assert round_.closes_at == ended
