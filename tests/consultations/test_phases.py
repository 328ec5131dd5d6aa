"""Phases move forward only, by a moderator, audited; scheduled times hold by the clock alone."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.consultations import comments, sessions
from deliberation.consultations.models import Notification, Phase, RoundState
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden


def test_moderator_moves_phases_in_order_and_each_move_is_audited(session, make_consultation, secretary):
    consultation = make_consultation(phase=Phase.DRAFT)
    for phase in (Phase.COMMENTING, Phase.VOTING, Phase.CLOSED, Phase.MINUTES_PUBLISHED):
        sessions.move_phase(session, secretary, consultation, phase)
    session.commit()
    moves = (
        session.execute(
            select(AuditEvent.data).where(AuditEvent.action == "consultation.phase").order_by(AuditEvent.id)
        )
        .scalars()
        .all()
    )
    assert [m["after"] for m in moves] == ["commenting", "voting", "closed", "minutes_published"]


@pytest.mark.parametrize(
    ("current", "target"),
    [(Phase.VOTING, Phase.COMMENTING), (Phase.CLOSED, Phase.DRAFT), (Phase.COMMENTING, Phase.COMMENTING)],
)
def test_a_phase_never_moves_back(session, make_consultation, secretary, current, target):
    consultation = make_consultation(phase=current)
    with pytest.raises(Conflict, match="只能向后推进"):
        sessions.move_phase(session, secretary, consultation, target)


def test_moving_back_on_the_page_shows_the_reason_and_changes_nothing(
    client, login, session, make_consultation, secretary
):
    consultation = make_consultation(phase=Phase.VOTING)
    login("shuji")
    response = client.post(
        f"/consultations/{consultation.id}/phase", data={"phase": "commenting"}, follow_redirects=True
    )
    assert "只能向后推进" in response.text
    session.refresh(consultation)
    assert consultation.phase == Phase.VOTING


def test_a_resident_cannot_move_a_phase(client, login, consultation, resident, session):
    with pytest.raises(Forbidden):
        sessions.move_phase(session, resident, consultation, Phase.VOTING)
    login("wangayi")
    assert client.post(f"/consultations/{consultation.id}/phase", data={"phase": "voting"}).status_code == 403


def test_everyone_who_commented_hears_of_a_phase_change(
    session, consultation, round_, resident, neighbour, secretary
):
    comments.post_comment(session, resident, consultation, "我有意见")
    sessions.move_phase(session, secretary, consultation, Phase.VOTING)
    session.commit()
    notes = session.execute(select(Notification)).scalars().all()
    assert [(n.user_id, n.kind) for n in notes] == [(resident.id, "phase")]
    assert "表决" in notes[0].text


def test_scheduled_times_move_the_effective_phase(session, make_consultation):
    now = utcnow()
    consultation = make_consultation(
        phase=Phase.DRAFT,
        commenting_at=now - timedelta(days=2),
        voting_at=now - timedelta(hours=1),
        closes_at=now + timedelta(days=3),
    )
    assert consultation.phase == Phase.DRAFT
    assert consultation.effective_phase == Phase.VOTING
    assert consultation.phase_at(now + timedelta(days=4)) == Phase.CLOSED
    assert consultation.phase_at(now - timedelta(days=3)) == Phase.DRAFT


def test_schedule_must_be_in_order(session, secretary, community):
    from deliberation.errors import Invalid

    now = utcnow()
    with pytest.raises(Invalid, match="先后顺序"):
        sessions.create_consultation(
            session,
            secretary,
            community,
            sessions.ConsultationInput(
                title="乱序", commenting_at=now + timedelta(days=5), voting_at=now + timedelta(days=1)
            ),
        )


def test_a_round_opens_and_closes_by_its_times(session, consultation, secretary):
    now = utcnow()
    round_ = comments.open_round(
        session, secretary, consultation, now + timedelta(days=2), opens_at=now + timedelta(days=1)
    )
    assert round_.state == RoundState.SCHEDULED
    assert round_.state_at(now + timedelta(days=1, hours=1)) == RoundState.OPEN
    assert round_.state_at(now + timedelta(days=2)) == RoundState.CLOSED


def test_a_round_closes_when_the_session_leaves_the_commenting_phase(
    session, consultation, round_, secretary
):
    assert round_.state == RoundState.OPEN
    sessions.move_phase(session, secretary, consultation, Phase.VOTING)
    assert round_.state == RoundState.CLOSED


def test_rounds_are_numbered_and_do_not_overlap(session, consultation, round_, secretary):
    with pytest.raises(Conflict, match="尚未结束"):
        comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=30))
    comments.close_round(session, secretary, round_)
    second = comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=7))
    assert (round_.number, second.number) == (1, 2)


def test_no_new_round_once_voting_has_started(session, make_consultation, secretary):
    consultation = make_consultation(phase=Phase.VOTING)
    with pytest.raises(Conflict):
        comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=7))


def test_a_closed_session_cannot_be_edited(session, make_consultation, secretary):
    consultation = make_consultation(phase=Phase.CLOSED)
    with pytest.raises(Conflict):
        sessions.update_consultation(session, secretary, consultation, sessions.ConsultationInput(title="改"))
