"""Append-only, hash-chained audit events: every state change is recorded here.

Each event carries the hash of the one before it, so an edited, deleted or reordered event breaks
the chain and `flask audit verify` finds it. Each event also carries a MAC of its hash under
AUDIT_KEY, a key kept outside the database (like SECRET_KEY): someone who can write the database but
not read the key cannot recompute a chain that verifies. The head of the chain is **anchored** — at
every published minutes (printed in it), by `flask audit anchor` — in `audit_anchors` (MACed too) and in a file
outside the database (AUDIT_ANCHOR_FILE, default `instance/audit-anchor.json`); `verify` checks that
every anchored event is still there with its hash, so a truncated tail or an emptied log is reported. On PostgreSQL triggers
refuse UPDATE, DELETE and TRUNCATE on the table, and `restrict_role` leaves the app's role (when it is not the
tables' owner) only SELECT and INSERT on them.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import JSON, ForeignKey, String, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from deliberation.db import intpk, timestamp, utcnow, written_apart
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
    # HMAC-SHA256 of `hash` under AUDIT_KEY; empty on events written before keys were kept.
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditAnchor(db.Model):
    """The head of the chain at a moment someone may later compare with: a published minutes, a
    notice, a scheduled `flask audit anchor`."""

    __tablename__ = "audit_anchors"
    id: Mapped[intpk]
    created_at: Mapped[timestamp]
    event_id: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(60))
    mac: Mapped[str] = mapped_column(String(64))


def _key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def mac(*parts) -> str:
    """HMAC-SHA256 under AUDIT_KEY of the parts joined (an event's hash; an anchor's id and hash)."""
    return hmac.new(_key(), ":".join(str(p) for p in parts).encode(), hashlib.sha256).hexdigest()


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
    event["mac"] = mac(event["hash"])
    # A Core INSERT with its values bound at execution: compiled once, no unit of work (every state
    # change of the app passes here).
    session.execute(AuditEvent.__table__.insert(), event)
    logger.info("audit %s by user %s on %s %s", action, event["actor_id"], event["object_type"], event["object_id"])


_LAST_HASH = select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
_PG_LOCK = text("SELECT pg_advisory_xact_lock(:k)")


def append(connection, actor_id: int | None, action: str, object_type: str | None, object_id: int | None, *,
           community_id: int | None, **data: Any) -> None:
    """`record` for a caller on a Core connection that loaded no models (the ordinary online ballot,
    voting.quick): the same event, the same chain, in statements compiled once."""
    if connection.dialect.name == "postgresql":
        connection.execute(_PG_LOCK, {"k": _PG_LOCK_KEY})
    prev = connection.execute(_LAST_HASH).scalar() or GENESIS
    created_at = utcnow()
    data = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    digest = _digest(prev, created_at, actor_id, community_id, action, object_type, object_id, data)
    connection.execute(AuditEvent.__table__.insert(), {
        "created_at": created_at, "actor_id": actor_id, "community_id": community_id, "action": action,
        "object_type": object_type, "object_id": object_id, "data": data, "prev_hash": prev, "hash": digest,
        "mac": mac(digest)})
    logger.info("audit %s by user %s on %s %s", action, actor_id, object_type, object_id)


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
    even though what was refused is not (`refusal_recorded`, and the app's hook for refused access). A write
    transaction of its own, also where the refused request was still reading (db.reads_first)."""
    with written_apart(session):
        record(session, actor, action, obj, community_id=community_id, **data)


# -- anchors ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Head:
    """The chain's head as printed: `#1234 9f2c4e…` (the event number and the first 16 of its hash)."""

    event_id: int
    hash: str

    @property
    def printed(self) -> str:
        return f"#{self.event_id} {self.hash[:16]}"


def head(session: Session) -> Head | None:
    row = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)).first()
    return Head(row.id, row.hash) if row else None


def anchor(session: Session, reason: str) -> Head | None:
    """Anchor the current head: a MACed row of `audit_anchors` (committed with the caller's work) and
    the instance folder's anchor file (written now; a later anchor replaces it). None for an empty log."""
    current = head(session)
    if current is None:
        return None
    session.add(AuditAnchor(event_id=current.event_id, hash=current.hash, reason=reason,
                            mac=mac(current.event_id, current.hash)))
    _anchor_file().parent.mkdir(parents=True, exist_ok=True)
    _anchor_file().write_text(json.dumps({"event_id": current.event_id, "hash": current.hash,
                                          "mac": mac(current.event_id, current.hash)}))
    return current


def _anchor_file() -> Path:
    return Path(current_app.config["AUDIT_ANCHOR_FILE"])


def _file_anchor() -> dict | None:
    try:
        return json.loads(_anchor_file().read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    problems: list[str]


def verify(session: Session, batch: int = 5000, printed: list[str] | None = None) -> VerifyResult:
    """Walk the chain in order and report every event whose hash, MAC or link does not hold, then every
    anchor whose event is gone or differs (a truncated tail, an emptied log, a recomputed chain).

    `printed` are heads as printed on minutes or notices ("#1234 9f2c4e…"), checked like anchors."""
    problems: list[str] = []
    expected_prev = GENESIS
    count = 0
    last_id = 0
    keyed = False  # once an event carries a MAC, every later one must
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
            if event.mac or keyed:
                keyed = True
                if not hmac.compare_digest(event.mac or "", mac(event.hash)):
                    problems.append(f"事件 {event.id}：校验码不符（哈希链被重新计算，或密钥不对）")
            expected_prev = event.hash
            last_id = event.id
        session.expunge_all()
    problems += _anchor_problems(session, count, last_id, printed or [])
    return VerifyResult(ok=not problems, count=count, problems=problems)


def _anchor_problems(session: Session, count: int, last_id: int, printed: list[str]) -> list[str]:
    anchors = [(f"锚点 {a.id}（{a.reason}）", a.event_id, a.hash, a.mac)
               for a in session.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars()]
    if (kept := _file_anchor()) is not None:
        anchors.append((f"锚点文件 {_anchor_file()}", kept.get("event_id"), kept.get("hash"), kept.get("mac")))
    problems = []
    for name, event_id, anchored_hash, anchored_mac in anchors:
        if not hmac.compare_digest(str(anchored_mac or ""), mac(event_id, anchored_hash)):
            problems.append(f"{name}：校验码不符（锚点被伪造）")
            continue
        problems += _missing(session, name, event_id, anchored_hash, count, last_id)
    for text_ in printed:
        number, _sep, prefix = text_.strip().lstrip("#").partition(" ")
        if not number.isdigit() or len(prefix) < 8:
            problems.append(f"无法识别的链头“{text_}”：应为“#事件号 哈希前16位”")
            continue
        problems += _missing(session, f"印在文件上的链头 {text_}", int(number), prefix, count, last_id)
    return problems


def _missing(session: Session, name: str, event_id: int, anchored_hash: str, count: int, last_id: int) -> list[str]:
    if count == 0:
        return [f"{name}：锚定了事件 {event_id}，但审计日志是空的（日志被清空）"]
    if event_id > last_id:
        return [f"{name}：锚定了事件 {event_id}，但日志只到事件 {last_id}（末尾被截去）"]
    found = session.execute(select(AuditEvent.hash).where(AuditEvent.id == event_id)).scalar()
    if found is None or not found.startswith(anchored_hash):
        return [f"{name}：事件 {event_id} 与锚定时不同（被删除或改写）"]
    return []


AUDIT_TABLES = ("audit_events", "audit_anchors")


def restrict_role(session: Session, role: str) -> list[str]:
    """On PostgreSQL, leave the app's own role (not the tables' owner) only SELECT and INSERT on the audit
    tables, and what it needs everywhere else: run by the owner after each `db upgrade` (`flask audit
    restrict-role ROLE`). The triggers refuse UPDATE, DELETE and TRUNCATE whoever asks; without the privilege
    the app's role is refused before any trigger, and cannot drop or disable them (only an owner can).
    Returns the statements run; raises DomainError where it cannot hold (SQLite, the role owns the tables)."""
    if session.get_bind().dialect.name != "postgresql":
        raise DomainError("只有 PostgreSQL 有数据库角色；SQLite 的审计日志由触发器和 audit verify 保护")
    if session.execute(text("SELECT 1 FROM pg_roles WHERE rolname = :role"), {"role": role}).first() is None:
        raise DomainError(f"数据库中没有角色 {role}")
    owners = set(session.execute(
        text("SELECT tableowner FROM pg_tables WHERE schemaname = current_schema() AND tablename = ANY(:tables)"),
        {"tables": list(AUDIT_TABLES)}).scalars())
    if role in owners:
        raise DomainError(f"角色 {role} 是审计表的所有者，无法收回它的权限：请用另一个角色执行迁移并拥有这些表，"
                          f"网站用 {role} 连接")
    quoted = session.get_bind().dialect.identifier_preparer.quote(role)
    audit_tables = ", ".join(AUDIT_TABLES)
    statements = [
        f"GRANT USAGE ON SCHEMA public TO {quoted}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quoted}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quoted}",
        f"REVOKE UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER ON {audit_tables} FROM PUBLIC, {quoted}",
        f"GRANT SELECT, INSERT ON {audit_tables} TO {quoted}",
    ]
    for statement in statements:
        session.execute(text(statement))
    logger.info("audit tables restricted for role %s", role)
    return statements
