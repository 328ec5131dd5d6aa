"""A session with 5,000 comments exports in a few seconds: counts are aggregated, only top concerns quoted."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import insert

from deliberation.consultations.models import Comment
from deliberation.db import utcnow
from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import services
from tests.statements import recorded

COMMENTS = 5000


def add_comments(session, consultation, authors: list[int], n: int = COMMENTS) -> None:
    rng = random.Random(7)
    rounds = consultation.rounds
    plan = consultation.proposals[0]
    now = utcnow()
    rows = [
        {"consultation_id": consultation.id, "round_id": rounds[i % len(rounds)].id, "proposal_id": plan.id,
         "author_id": authors[i % len(authors)], "body": f"第{i}条意见：" + "停车位怎么安排？" * rng.randint(1, 8),
         "is_official_answer": False, "status": "published", "support_count": rng.randint(0, 300),
         "created_at": now - timedelta(minutes=i), "hidden_reason": ""}
        for i in range(n)
    ]
    session.execute(insert(Comment), rows)
    session.commit()


def test_5000_comments_export_in_a_few_seconds(session, run, secretary, residents):
    """What keeps the export fast, asserted without a stopwatch (which needs an idle machine; the
    seconds are measured in bench/, "minutes PDF"): a fixed number of queries, none per comment,
    and a document that quotes the top concerns of each round, not every comment."""
    add_comments(session, run.consultation, [u.id for u in residents])
    with recorded() as statements:
        contents = minutes_contents.assemble(session, secretary, run.consultation)
    assert contents.total_comments == COMMENTS + 4
    assert all(len(r.concerns) == minutes_contents.TOP_CONCERNS for r in contents.rounds)
    assert contents.rounds[0].concerns[0].supports >= contents.rounds[0].concerns[-1].supports
    assert len(statements) < 30, "a fixed number of queries, none per comment"
    quoted_at_most = minutes_contents.TOP_CONCERNS * len(contents.rounds)
    for fmt in ("pdf", "docx", "xlsx", "md"):
        with recorded() as statements:
            data, _name, _type = services.export(session, secretary, run.consultation, fmt)
        assert data
        assert len(statements) < 30, (fmt, "a fixed number of queries, none per comment")
        if fmt == "md":
            assert data.decode().count("条意见：") <= quoted_at_most, "only the top concerns are quoted"
