"""Draft, publish, freeze, correct: published minutes never change; a correction is a new version."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.audit import AuditEvent
from deliberation.consultations.models import Phase
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.minutes import services
from deliberation.minutes.models import Minutes, MinutesStatus, PublishedMinutesChanged
from tests.minutes.conftest import TITLE, run_consultation


def md(session, actor, consultation, **kw) -> str:
    return services.export(session, actor, consultation, "md", **kw)[0].decode()


def test_publishing_freezes_the_contents_and_moves_the_session_on(session, run, secretary):
    draft = services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。", host="王书记")
    assert (draft.number, draft.status) == (1, MinutesStatus.DRAFT)
    minutes = services.publish(session, secretary, run.consultation)
    session.commit()
    assert minutes.status == MinutesStatus.PUBLISHED and minutes.published_at is not None
    assert len(minutes.content_digest) == 64 and minutes.data["title"] == TITLE
    assert run.consultation.phase == Phase.MINUTES_PUBLISHED
    actions = session.execute(select(AuditEvent.action).order_by(AuditEvent.id)).scalars().all()
    assert "minutes.draft" in actions and "minutes.publish" in actions


def test_published_minutes_do_not_change_when_the_data_does(session, run, secretary):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。")
    services.publish(session, secretary, run.consultation)
    session.commit()
    before = md(session, secretary, run.consultation)
    run.consultation.title = "改过的标题"
    run.consultation.meetings[0].place = "别处"
    session.commit()
    after = md(session, secretary, run.consultation)
    assert before.split("生成时间")[0] == after.split("生成时间")[0]
    assert TITLE in after and "改过的标题" not in after
    assert "改过的标题" in md(session, secretary, run.consultation, draft=True)  # the next draft sees it


def test_a_published_row_refuses_any_change(session, run, secretary):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。")
    minutes = services.publish(session, secretary, run.consultation)
    session.commit()
    minutes.closing_notes = "偷偷改一下"
    with pytest.raises(PublishedMinutesChanged):
        session.flush()
    session.rollback()
    assert session.get(Minutes, minutes.id).closing_notes == "同意实施。"


def test_a_correction_is_a_new_version_that_says_what_changed(session, run, secretary):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。")
    services.publish(session, secretary, run.consultation)
    session.commit()
    draft = services.save_draft(session, secretary, run.consultation, closing_notes="同意实施，2027年3月开工。")
    assert draft.number == 2
    with pytest.raises(Invalid) as refused:
        services.publish(session, secretary, run.consultation)
    assert "change_note" in refused.value.fields
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施，2027年3月开工。",
                        change_note="补充开工时间")
    second = services.publish(session, secretary, run.consultation)
    session.commit()
    assert [(m.number, m.status) for m in services.versions(session, run.consultation)] == [
        (1, MinutesStatus.PUBLISHED), (2, MinutesStatus.PUBLISHED)]
    latest = md(session, secretary, run.consultation)
    first = md(session, secretary, run.consultation, version=1)
    assert "第2版" in latest and "本版更正：补充开工时间" in latest and "2027年3月开工" in latest
    assert "第1版" in first and "2027年3月开工" not in first and "本版更正" not in first
    assert second.data["change_note"] == "补充开工时间"


def test_minutes_are_published_only_after_the_session_closes(session, secretary, residents, community):
    result = run_consultation(session, secretary, residents, community, close=False)
    services.save_draft(session, secretary, result.consultation, closing_notes="x")
    with pytest.raises(Conflict):
        services.publish(session, secretary, result.consultation)


def test_publishing_needs_a_draft(session, run, secretary):
    with pytest.raises(Conflict):
        services.publish(session, secretary, run.consultation)


def test_residents_may_neither_draft_nor_publish_nor_see_a_draft(session, run, resident):
    with pytest.raises(Forbidden):
        services.save_draft(session, resident, run.consultation, closing_notes="我来写")
    with pytest.raises(Forbidden):
        services.publish(session, resident, run.consultation)
    with pytest.raises(NotFound):
        services.export(session, resident, run.consultation, "md")
    with pytest.raises(NotFound):
        services.export(session, resident, run.consultation, "md", draft=True)


def test_the_draft_starts_from_the_last_publication(session, run, secretary):
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。", recorder="李干事")
    services.publish(session, secretary, run.consultation)
    fields = services.draft_fields(session, run.consultation)
    assert (fields.closing_notes, fields.recorder, fields.change_note) == ("同意实施。", "李干事", "")


@pytest.mark.parametrize("fmt", ["md", "html", "docx"])
def test_published_minutes_print_the_audit_head_they_anchored(app, session, run, secretary, fmt):
    """Whoever holds the paper can check the log against it: `flask audit verify --head '#N HASH'`. The head
    is that of the consultation's community's chain, not the last event of the whole log."""
    from deliberation import audit
    from deliberation.audit import AuditAnchor

    community_id = run.consultation.community_id
    services.save_draft(session, secretary, run.consultation, closing_notes="同意实施。")
    before = audit.head(session, audit.chain_of(community_id))
    audit.record(session, None, "test.elsewhere", community_id=community_id + 1000)  # another community's chain
    minutes = services.publish(session, secretary, run.consultation)
    session.commit()
    assert minutes.data["audit_head"] == before.printed
    anchor = session.execute(select(AuditAnchor)).scalar_one()
    assert (anchor.chain, anchor.event_id, anchor.hash, anchor.reason) == (
        community_id, before.event_id, before.hash, "minutes")
    body = services.export(session, secretary, run.consultation, fmt)[0]
    if fmt == "docx":
        import io

        from docx import Document

        body = "\n".join(p.text for p in Document(io.BytesIO(body)).paragraphs).encode()
    assert before.printed.encode() in body
    result = app.test_cli_runner().invoke(args=["audit", "verify", "--head", before.printed])
    assert result.exit_code == 0, result.output
