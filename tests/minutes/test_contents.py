"""The assembled contents: every part of the issue's point 1, in order, from a full run."""

from __future__ import annotations

from deliberation.minutes import contents as minutes_contents
from tests.minutes.conftest import TITLE


def test_contents_hold_every_part_of_a_full_run(session, run, secretary, residents):
    m = minutes_contents.assemble(session, secretary, run.consultation, closing_notes="按修改稿实施。",
                                  host="王书记", recorder="李干事")
    assert (m.community, m.title) == ("银杏居民区", TITLE)
    assert m.doc_number.startswith("银杏居民区议纪〔") and m.doc_number.endswith(f"第{run.consultation.id}号")
    assert [d.label for d in m.dates][:2] == ["发起", "意见征集"]
    p = m.participation
    assert p.bodies == ["居民区党总支、居委会", "业委会、物业服务中心", "居民代表、楼组长"]
    assert p.eligible == 3 and p.meetings == 1
    assert "服务站面积小" in m.background
    assert m.meetings[0].place == "居民区会议室"
    (proposal,) = m.proposals
    assert proposal.number == 2 and proposal.title.endswith("（修改稿）")
    assert [(v.number, v.title) for v in proposal.earlier] == [(1, "方案一：原址内部改造")]
    first, second = m.rounds
    # Round one: two comments and a reply from three residents; the official answer is not a comment.
    assert (first.comments, first.commenters, first.answers) == (3, 3, 1)
    assert (second.comments, second.commenters) == (1, 1)
    assert (m.total_comments, m.total_commenters) == (4, 3)
    top = first.concerns[0]
    assert (top.body, top.supports, top.answer) == (run.concern_text, 2, run.answer_text)
    assert top.proposal == "方案一：原址内部改造（修改稿）"
    assert first.concerns[1].answer == ""
    assert (m.closing_notes, m.host, m.recorder) == ("按修改稿实施。", "王书记", "李干事")
    assert len(m.ballot_digest) in (0, 64)


def test_no_resident_is_named_in_the_contents(session, run, secretary, residents):
    data = minutes_contents.to_json(minutes_contents.assemble(session, secretary, run.consultation))
    text = str(data)
    for user in residents:
        assert user.username not in text and user.display_name not in text


def test_contents_survive_the_json_round_trip(session, run, secretary):
    m = minutes_contents.assemble(session, secretary, run.consultation, closing_notes="结语")
    data = minutes_contents.to_json(m)
    again = minutes_contents.from_json(data)
    assert again == m
    assert minutes_contents.content_digest(minutes_contents.to_json(again)) == minutes_contents.content_digest(data)


def test_only_the_top_concerns_are_quoted(session, run, secretary, residents):
    from deliberation.consultations import services
    from deliberation.consultations.models import CommentRound
    from deliberation.db import utcnow

    second = session.query(CommentRound).filter_by(consultation_id=run.consultation.id, number=2).one()
    second.closes_at = utcnow().replace(year=2099)
    run.consultation.phase = "commenting"
    session.flush()
    for i in range(8):
        services.post_comment(session, residents[i % 3], run.consultation, f"意见{i}")
    m = minutes_contents.assemble(session, secretary, run.consultation)
    assert m.rounds[1].comments == 9
    assert len(m.rounds[1].concerns) == minutes_contents.TOP_CONCERNS
