"""Minutes (会议纪要) of a consultation: one row per version; a published version never changes.

A consultation has at most one draft, numbered after its last published version. Publishing freezes
the assembled contents (`data`, JSON) with their SHA-256 (`content_digest`) and the ballot record's
digest; every format of a published version is rendered from that frozen data. A correction is a
new version whose `change_note` says what changed.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String, Text, UniqueConstraint, event, inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.accounts.models import User, enum_column
from deliberation.consultations.models import Consultation
from deliberation.db import UTCDateTime, intpk, str200, timestamp
from deliberation.extensions import db


class MinutesStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"


class Minutes(db.Model):
    """One version of a consultation's minutes: a draft the moderator edits, or a frozen publication."""

    __tablename__ = "minutes"
    __table_args__ = (UniqueConstraint("consultation_id", "number"),)
    id: Mapped[intpk]
    consultation_id: Mapped[int] = mapped_column(
        ForeignKey("consultations.id", ondelete="CASCADE"), index=True
    )
    community_id: Mapped[int] = mapped_column(ForeignKey("communities.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    status: Mapped[MinutesStatus] = enum_column(MinutesStatus, default=MinutesStatus.DRAFT)
    closing_notes: Mapped[str] = mapped_column(Text, default="")
    host: Mapped[str200] = mapped_column(default="")  # 主持人, as it should be printed
    recorder: Mapped[str200] = mapped_column(default="")  # 记录人
    change_note: Mapped[str] = mapped_column(Text, default="")  # what a correction changed
    data: Mapped[dict | None] = mapped_column(JSON)  # the frozen contents (published only)
    content_digest: Mapped[str | None] = mapped_column(String(64))
    ballot_digest: Mapped[str | None] = mapped_column(String(64))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[timestamp]
    updated_at: Mapped[timestamp]
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    consultation: Mapped[Consultation] = relationship()
    published_by: Mapped[User | None] = relationship(foreign_keys=[published_by_id])

    @property
    def is_published(self) -> bool:
        return self.status == MinutesStatus.PUBLISHED


class PublishedMinutesChanged(RuntimeError):
    """Raised when code tries to change a published version: corrections are new versions."""


@event.listens_for(Minutes, "before_update")
def _published_minutes_are_immutable(mapper, connection, target: Minutes) -> None:
    history = inspect(target).attrs.status.history
    was = history.deleted[0] if history.deleted else target.status
    if was == MinutesStatus.PUBLISHED:
        raise PublishedMinutesChanged(f"published minutes {target.id} cannot be changed")
