"""The comments' version of a session: bumped in the transaction of every change that the session page's
shared comment list shows (a comment, a reply or official answer, hiding and restoring, supports), so the
list cached under the old number is never served after the change is committed (routes/comment_list.py)."""

from __future__ import annotations

from sqlalchemy import update
from sqlalchemy.orm import Session

from deliberation.consultations.models import Consultation


def bump_comments_version(session: Session, consultation: Consultation) -> None:
    """One more change to the session's comments; an UPDATE in SQL, so concurrent changes never share a number."""
    session.execute(
        update(Consultation)
        .where(Consultation.id == consultation.id)
        .values(comments_version=Consultation.comments_version + 1)
        .execution_options(synchronize_session=False)
    )
    session.expire(consultation, ["comments_version"])
