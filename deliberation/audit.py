"""Append-only, hash-chained audit events: every state change is recorded here.

Each event carries the hash of the one before it, so an edited, deleted or reordered event breaks
the chain and `flask audit verify` finds it. On PostgreSQL a trigger (see the initial migration)
also refuses UPDATE and DELETE on the table.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from deliberation.db import intpk, timestamp, utcnow
from deliberation.errors import DomainError
from deliberation.extensions import db

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
# Any 64-bit number will do: it names the lock that serialises appends on PostgreSQL.
_PG_LOCK_KEY = 727_278_001


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    id: Mapped[intpk]
    created_at: Mapped[timestamp]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    community_id: Mapped[int | None] = mapped_column(index=True)
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


def _digest(prev_hash: str, created_at: datetime, actor_id, community_id, action, object_type, object_id, data):
    payload = json.dumps(
        [prev_hash, created_at.isoformat(timespec="microseconds"), actor_id, community_id, action,
         object_type, object_id, data],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def record(session: Session, actor, action: str, obj: Any = None, *, community_id: int | None = None,
           **data: Any) -> None:
    """Append one event. `obj` is the model the action is about (flushed so it has an id).

    Never pass secrets or passwords in `data`.
    """
    if obj is not None and getattr(obj, "id", None) is None:
        session.flush()
    if session.get_bind().dialect.name == "postgresql":
        # Appends must see each other's hashes: one writer at a time, until commit.
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _PG_LOCK_KEY})
    # An ORM query, so pending changes are flushed before the event that records them.
    prev = session.execute(select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS
    event = {
        "created_at": utcnow(),
        "actor_id": getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True)
        else None,
        "community_id": community_id if community_id is not None or obj is None else getattr(obj, "community_id", None),
        "action": action,
        "object_type": type(obj).__name__ if obj is not None else None,
        "object_id": getattr(obj, "id", None) if obj is not None else None,
        "data": json.loads(json.dumps(data, ensure_ascii=False, default=str)),
        "prev_hash": prev,
    }
    event["hash"] = _digest(prev, event["created_at"], event["actor_id"], event["community_id"], action,
                            event["object_type"], event["object_id"], event["data"])
    # A Core INSERT with its values bound at execution: compiled once, no unit of work (every state
    # change of the app passes here).
    session.execute(AuditEvent.__table__.insert(), event)
    logger.info("audit %s by user %s on %s %s", action, event["actor_id"], event["object_type"], event["object_id"])


@contextmanager
def refusal_recorded(session: Session, actor, action: str, obj: Any = None, *, community_id: int | None = None,
                     **data: Any) -> Iterator[None]:
    """Keep a refusal on record: when the block raises a domain error, its work is rolled back, the
    refusal (status and reason) is recorded and committed on its own, and the error goes on up.

        with audit.refusal_recorded(db.session, user, "ballot.refused", vote):
            result = cast_ballot(db.session, user, vote, choice)
    """
    try:
        yield
    except DomainError as error:
        record_apart(session, actor, action, obj, community_id=community_id, status=error.status,
                     reason=error.message, **data)
        raise


def record_apart(session: Session, actor, action: str, obj: Any = None, *, community_id: int | None = None,
                 **data: Any) -> None:
    """Roll back the unfinished work, then record one event and commit it on its own: a refusal is kept
    even though what was refused is not (`refusal_recorded`, and the app's hook for refused access)."""
    session.rollback()
    record(session, actor, action, obj, community_id=community_id, **data)
    session.commit()


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    problems: list[str]


def verify(session: Session, batch: int = 5000) -> VerifyResult:
    """Walk the chain in order and report every event whose hash or link does not hold."""
    problems: list[str] = []
    expected_prev = GENESIS
    count = 0
    last_id = 0
    while True:
        events = session.execute(
            select(AuditEvent).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(batch)
        ).scalars().all()
        if not events:
            break
        for event in events:
            count += 1
            if event.prev_hash != expected_prev:
                problems.append(f"事件 {event.id}：与前一事件的链接断开（前一事件被删除、修改或调换）")
            digest = _digest(event.prev_hash, event.created_at, event.actor_id, event.community_id, event.action,
                             event.object_type, event.object_id, event.data)
            if digest != event.hash:
                problems.append(f"事件 {event.id}：内容与其哈希不符（已被修改）")
            expected_prev = event.hash
            last_id = event.id
        session.expunge_all()
    return VerifyResult(ok=not problems, count=count, problems=problems)
