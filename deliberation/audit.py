"""Append-only, hash-chained audit events: every state change is recorded here.

The log is one hash chain **per community** and one for the site (events that belong to no community:
site administration, sign-ins, a failed sign-in of an unknown name). `chain` holds the community's id, 0
for the site; events written before the chains were split keep `chain` NULL and form the legacy chain,
verified as it was. Each event carries the hash of the one before it in its chain, so an edited,
deleted or reordered event breaks that chain and `flask audit verify` finds it, naming the chain. Each
event also carries a MAC of its hash under AUDIT_KEY, a key kept outside the database (like SECRET_KEY):
someone who can write the database but not read the key cannot recompute a chain that verifies.

A chain's head is **anchored** — at every published minutes and notice of its community (printed in
it), and every chain by `flask audit anchor` — in `audit_anchors` (MACed too) and in a file outside the
database (AUDIT_ANCHOR_FILE, default `instance/audit-anchor.json`, one entry per chain); `verify` checks
that every anchored event is still there with its hash, so a truncated tail or an emptied chain is
reported. On PostgreSQL an append takes its chain's advisory lock only (two communities never wait for
each other), with the chain's last hash in the same round trip (`audit_chain_head`, a migration's function:
the read after the lock takes a fresh snapshot there, which one SQL statement cannot); triggers refuse
UPDATE, DELETE and TRUNCATE on the table, and `restrict_role` leaves the app's role (when it is not the
tables' owner) only SELECT and INSERT on them.
"""

from __future__ import annotations

import fcntl
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, bindparam, func, select, text
from sqlalchemy.orm import Mapped, Session, mapped_column

from deliberation.db import OnDriver, intpk, timestamp, utcnow, written_apart
from deliberation.errors import DomainError
from deliberation.extensions import db

logger = logging.getLogger(__name__)

GENESIS = "0" * 64
SITE = 0  # the chain of events that belong to no community
# Any 32-bit number will do: with a chain's key as the second number, it names the lock that serialises
# the appends of one chain on PostgreSQL (the two-number form, a lock space apart from the one-number one).
_PG_LOCK_KEY = 727_278_001


class AuditEvent(db.Model):
    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_chain_id", "chain", "id"),)
    id: Mapped[intpk]
    created_at: Mapped[timestamp]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    community_id: Mapped[int | None] = mapped_column(index=True)
    # The chain the event is linked in: its community's id, SITE (0) for none; NULL on events written
    # before the log was split into chains (the legacy chain, kept as it was hashed and anchored).
    chain: Mapped[int | None]
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[int | None]
    data: Mapped[dict] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)
    # HMAC-SHA256 of `hash` under AUDIT_KEY; empty on events written before keys were kept.
    mac: Mapped[str | None] = mapped_column(String(64))


class AuditAnchor(db.Model):
    """The head of a chain at a moment someone may later compare with: a published minutes, a notice, a
    scheduled `flask audit anchor`."""

    __tablename__ = "audit_anchors"
    id: Mapped[intpk]
    created_at: Mapped[timestamp]
    chain: Mapped[int | None]  # NULL: the legacy chain (anchors made before the split)
    event_id: Mapped[int]
    hash: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(String(60))
    mac: Mapped[str] = mapped_column(String(64))


def _key() -> bytes:
    return current_app.config["AUDIT_KEY"].encode()


def mac(*parts) -> str:
    """HMAC-SHA256 under AUDIT_KEY of the parts joined (an event's hash; an anchor's id and hash)."""
    return hmac.new(_key(), ":".join(str(p) for p in parts).encode(), hashlib.sha256).hexdigest()


def _anchor_mac(chain: int | None, event_id, hash_) -> str:
    # Legacy anchors were MACed without a chain; a chain's anchor names it, so it cannot be moved to another.
    return mac(event_id, hash_) if chain is None else mac(chain, event_id, hash_)


def _digest(prev_hash: str, created_at: datetime, actor_id, community_id, action, object_type, object_id, data):
    payload = json.dumps(
        [prev_hash, created_at.isoformat(timespec="microseconds"), actor_id, community_id, action,
         object_type, object_id, data],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(payload.encode()).hexdigest()


def chain_of(community_id: int | None) -> int:
    """The chain of a community's events; SITE for events of no community."""
    return SITE if community_id is None else community_id


def community_of(obj: Any) -> int | None:
    """The community an event about `obj` belongs to: the community itself, its `community_id`, or that of
    the consultation, vote or survey it hangs from; None (the site's chain) for a user, a token, nothing."""
    if obj is None:
        return None
    if getattr(obj, "__tablename__", None) == "communities":
        return obj.id
    if (community_id := getattr(obj, "community_id", None)) is not None:
        return community_id
    for owner in ("consultation", "vote", "survey"):
        if (community_id := getattr(getattr(obj, owner, None), "community_id", None)) is not None:
            return community_id
    return None


def _chain_start(session: Session) -> str:
    """What a new chain's first event links to: the legacy chain's last hash, so that cutting the legacy
    tail breaks every chain grown from it; GENESIS on a log begun with chains."""
    return session.execute(select(AuditEvent.hash).where(AuditEvent.chain.is_(None))
                           .order_by(AuditEvent.id.desc()).limit(1)).scalar() or GENESIS


def record(session: Session, actor, action: str, obj: Any = None, *, community_id: int | None = None,
           **data: Any) -> None:
    """Append one event to its community's chain. `obj` is the model the action is about (flushed so it
    has an id); the community is `community_id` when given, else found from `obj` (`community_of`).

    Never pass secrets or passwords in `data`.
    """
    if obj is not None and getattr(obj, "id", None) is None:
        session.flush()
    community = community_id if community_id is not None else community_of(obj)
    chain = chain_of(community)
    if session.get_bind().dialect.name == "postgresql":
        # Appends to one chain must see each other's hashes: one writer per chain at a time, until commit.
        # Other communities' chains take other locks, so their writes never wait for this one. Pending
        # changes are flushed first, so that the lock is held for the event alone.
        session.flush()
        prev = _locked_head(session, community)
    else:
        # An ORM query, so pending changes are flushed before the event that records them.
        prev = session.execute(select(AuditEvent.hash).where(AuditEvent.chain == chain)
                               .order_by(AuditEvent.id.desc()).limit(1)).scalar() or _chain_start(session)
    event = {
        "created_at": utcnow(),
        "actor_id": getattr(actor, "id", None) if actor is not None and getattr(actor, "is_authenticated", True)
        else None,
        "community_id": community,
        "chain": chain,
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


# `append`'s statements, run on the driver (db.OnDriver).
_LAST_HASH = OnDriver(select(AuditEvent.hash).where(AuditEvent.chain == bindparam("chain"))
                      .order_by(AuditEvent.id.desc()).limit(1))
_LEGACY_HASH = OnDriver(select(AuditEvent.hash).where(AuditEvent.chain.is_(None))
                        .order_by(AuditEvent.id.desc()).limit(1))
_INSERT = OnDriver(AuditEvent.__table__.insert())
# PostgreSQL: the chain's lock, then its last hash (or the legacy chain's; NULL for none), in one round trip.
PG_HEAD = func.audit_chain_head(bindparam("lock_space", type_=Integer), bindparam("chain", type_=Integer))
_PG_HEAD = select(PG_HEAD)


def pg_head_parameters(community_id: int | None) -> dict[str, int]:
    """The parameters of PG_HEAD for a community's chain, also for a caller that puts it in a statement of its
    own (the ordinary ballot's INSERT … RETURNING) and passes the hash it read to `append` as `head`."""
    return {"lock_space": _PG_LOCK_KEY, "chain": chain_of(community_id)}


def _locked_head(db, community_id: int | None) -> str:
    """On PostgreSQL, the community's chain locked until commit and its last hash (GENESIS for an empty one)."""
    return db.execute(_PG_HEAD, pg_head_parameters(community_id)).scalar() or GENESIS


def append(connection, actor_id: int | None, action: str, object_type: str | None, object_id: int | None, *,
           community_id: int | None, head: str | None = None, **data: Any) -> None:
    """`record` for a caller on a Core connection that loaded no models (the ordinary online ballot,
    voting.quick): the same event on the same community's chain, under the same lock, in statements
    compiled once and run on the driver (db.OnDriver). On PostgreSQL a caller that already took the lock and read
    the chain's last hash (PG_HEAD in its own statement) passes what it read as `head` (GENESIS for an empty
    chain)."""
    chain = chain_of(community_id)
    if connection.dialect.name == "postgresql":
        prev = head or _locked_head(connection, community_id)
    else:
        prev = _LAST_HASH.scalar(connection, {"chain": chain}) or _LEGACY_HASH.scalar(connection) or GENESIS
    created_at = utcnow()
    data = json.loads(json.dumps(data, ensure_ascii=False, default=str))
    digest = _digest(prev, created_at, actor_id, community_id, action, object_type, object_id, data)
    _INSERT.run(connection, {
        "created_at": created_at, "actor_id": actor_id, "community_id": community_id, "chain": chain,
        "action": action, "object_type": object_type, "object_id": object_id, "data": data, "prev_hash": prev,
        "hash": digest, "mac": mac(digest)})
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
    """A chain's head as printed: `#1234 9f2c4e…` (the event number and the first 16 of its hash).

    Event numbers run across all chains, so the printed head names one event of one chain."""

    event_id: int
    hash: str
    chain: int | None = SITE

    @property
    def printed(self) -> str:
        return f"#{self.event_id} {self.hash[:16]}"


def head(session: Session, chain: int | None = SITE) -> Head | None:
    """The last event of a chain (a community's id, SITE, or None for the legacy chain)."""
    where = AuditEvent.chain.is_(None) if chain is None else AuditEvent.chain == chain
    row = session.execute(select(AuditEvent.id, AuditEvent.hash).where(where)
                          .order_by(AuditEvent.id.desc()).limit(1)).first()
    return Head(row.id, row.hash, chain) if row else None


def heads(session: Session) -> list[Head]:
    """The head of every chain in the log, the legacy chain (if any) first, then the site, then by community."""
    last = session.execute(select(AuditEvent.chain, func.max(AuditEvent.id)).group_by(AuditEvent.chain)).all()
    hashes = dict(session.execute(select(AuditEvent.id, AuditEvent.hash)
                                  .where(AuditEvent.id.in_([event_id for _chain, event_id in last]))).all())
    return sorted((Head(event_id, hashes[event_id], chain) for chain, event_id in last),
                  key=lambda h: -1 if h.chain is None else h.chain)


def anchor(session: Session, reason: str, *, community_id: int | None = None) -> Head | None:
    """Anchor the head of a community's chain (the site's when None): a MACed row of `audit_anchors`
    (committed with the caller's work) and that chain's entry of the instance folder's anchor file
    (written now; a later anchor of the chain replaces it). None for an empty chain."""
    current = head(session, chain_of(community_id))
    if current is not None:
        _anchor(session, [current], reason)
    return current


def anchor_all(session: Session, reason: str) -> list[Head]:
    """Anchor the head of every chain (`flask audit anchor`, run daily)."""
    current = heads(session)
    _anchor(session, current, reason)
    return current


def _anchor(session: Session, anchored: list[Head], reason: str) -> None:
    entries = {}
    for h in anchored:
        signed = _anchor_mac(h.chain, h.event_id, h.hash)
        session.add(AuditAnchor(chain=h.chain, event_id=h.event_id, hash=h.hash, reason=reason, mac=signed))
        entries[_file_key(h.chain)] = {"event_id": h.event_id, "hash": h.hash, "mac": signed}
    if entries:
        _update_anchor_file(entries)


def _anchor_file() -> Path:
    return Path(current_app.config["AUDIT_ANCHOR_FILE"])


def _file_key(chain: int | None) -> str:
    return "legacy" if chain is None else str(chain)


def _update_anchor_file(entries: dict[str, dict]) -> None:
    """Replace some chains' entries of the anchor file, keeping the others: under a lock, since processes
    anchoring different communities write it at the same time; renamed into place, never half written."""
    path = _anchor_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        kept = _file_anchors()
        kept.update(entries)
        partial = path.with_name(path.name + f".{os.getpid()}.tmp")
        partial.write_text(json.dumps({"chains": kept}, sort_keys=True))
        partial.replace(path)


def _file_anchors() -> dict[str, dict]:
    """The anchor file's entries by chain; a file written before the split holds the legacy chain's."""
    try:
        kept = json.loads(_anchor_file().read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(kept, dict):
        return {}
    if "chains" not in kept:
        return {"legacy": kept}
    return dict(kept["chains"]) if isinstance(kept["chains"], dict) else {}


# -- verification ----------------------------------------------------------------------------

@dataclass
class ChainReport:
    """What `verify` found in one chain: its events, its head and its problems."""

    chain: int | None
    count: int = 0
    head: Head | None = None
    problems: list[str] = field(default_factory=list)
    keyed: bool = False  # once an event of the chain carries a MAC, every later one must

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    count: int
    problems: list[str]  # every chain's, each naming its chain, then those that name no chain
    chains: list[ChainReport] = field(default_factory=list)


def chain_label(chain: int | None, names: dict[int, str] | None = None) -> str:
    """A chain's name in reports: a community's (by name when known), the site's, or the legacy chain's."""
    if chain is None:
        return "拆分前的统一链"
    if chain == SITE:
        return "站点的链"
    return f"{(names or {}).get(chain) or f'居民区 {chain}'}的链"


def verify(session: Session, batch: int = 5000, printed: list[str] | None = None) -> VerifyResult:
    """Walk every chain in order and report, chain by chain, each event whose hash, MAC or link does not
    hold, then every anchor whose event is gone or differs (a truncated tail, an emptied chain, a
    recomputed chain). A tampered event of one community is reported in its chain only.

    `printed` are heads as printed on minutes or notices ("#1234 9f2c4e…"), checked like anchors."""
    # The anchors first: one made while the walk runs names an event the walk may not have reached.
    anchors = _anchors(session)
    reports: dict[int | None, ChainReport] = {}
    last_hash: dict[int | None, str] = {}
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
            report = reports.setdefault(event.chain, ChainReport(event.chain))
            _check_event(event, report, last_hash)
            report.count += 1
            report.head = Head(event.id, event.hash, event.chain)
            last_hash[event.chain] = event.hash
            last_id = event.id
        session.expunge_all()
    other = _anchor_problems(session, anchors, reports, printed or [])
    ordered = sorted(reports.values(), key=lambda r: -1 if r.chain is None else r.chain)
    problems = [f"{chain_label(r.chain)}：{p}" for r in ordered for p in r.problems] + other
    return VerifyResult(ok=not problems, count=count, problems=problems, chains=ordered)


def _check_event(event: AuditEvent, report: ChainReport, last_hash: dict) -> None:
    if event.chain in last_hash:
        if event.prev_hash != last_hash[event.chain]:
            report.problems.append(f"事件 {event.id}：与前一事件的链接断开（前一事件被删除、修改或调换）")
    elif event.prev_hash != (GENESIS if event.chain is None else last_hash.get(None, GENESIS)):
        report.problems.append(f"事件 {event.id}：链的第一个事件没有接在应接的位置（链开头的事件被删除，"
                               f"或拆分前统一链的末尾被截去）")
    digest = _digest(event.prev_hash, event.created_at, event.actor_id, event.community_id, event.action,
                     event.object_type, event.object_id, event.data)
    if digest != event.hash:
        report.problems.append(f"事件 {event.id}：内容与其哈希不符（已被修改）")
    if event.chain is not None and event.chain != chain_of(event.community_id):
        report.problems.append(f"事件 {event.id}：不在它所属居民区的链上（被移到了别的链）")
    # Events of the chains always carry a MAC; legacy ones once the first of them does.
    if event.mac or report.keyed or event.chain is not None:
        report.keyed = True
        if not hmac.compare_digest(event.mac or "", mac(event.hash)):
            report.problems.append(f"事件 {event.id}：校验码不符（哈希链被重新计算，或密钥不对）")


def _anchors(session: Session) -> list[tuple]:
    """Every anchor, rows and file: (name, chain, event id, hash, MAC)."""
    anchors = [(f"锚点 {a.id}（{a.reason}）", a.chain, a.event_id, a.hash, a.mac)
               for a in session.execute(select(AuditAnchor).order_by(AuditAnchor.id)).scalars()]
    for key, kept in sorted(_file_anchors().items()):
        chain = None if key == "legacy" else int(key) if key.isdigit() else -1
        kept = kept if isinstance(kept, dict) else {}
        anchors.append((f"锚点文件 {_anchor_file()}", chain, kept.get("event_id"), kept.get("hash"), kept.get("mac")))
    return anchors


def _anchor_problems(session: Session, anchors: list[tuple], reports: dict[int | None, ChainReport],
                     printed: list[str]) -> list[str]:
    """Check the anchors in their chains' reports, and the printed heads in theirs; return the problems
    that name no chain."""
    other: list[str] = []
    wanted = []
    for name, chain, event_id, anchored_hash, anchored_mac in anchors:
        report = reports.setdefault(chain, ChainReport(chain))
        if not hmac.compare_digest(str(anchored_mac or ""), _anchor_mac(chain, event_id, anchored_hash)):
            report.problems.append(f"{name}：校验码不符（锚点被伪造）")
            continue
        wanted.append((name, report, int(event_id), str(anchored_hash)))
    for text_ in printed:
        number, _sep, prefix = text_.strip().lstrip("#").partition(" ")
        if not number.isdigit() or len(prefix) < 8:
            other.append(f"无法识别的链头“{text_}”：应为“#事件号 哈希前16位”")
            continue
        wanted.append((f"印在文件上的链头 {text_}", None, int(number), prefix))
    found = _events_by_id(session, {event_id for _n, _r, event_id, _h in wanted})
    last_id = max((r.head.event_id for r in reports.values() if r.head), default=0)
    for name, report, event_id, anchored_hash in wanted:
        event = found.get(event_id)
        if report is None:  # a printed head: its chain is the event's, when the event is still there
            if event is None:
                other.append(f"{name}：事件 {event_id} 已不在日志中（所在链的末尾被截去，或被删除）"
                             if event_id <= last_id else f"{name}：日志只到事件 {last_id}（末尾被截去）")
                continue
            report = reports.setdefault(event[1], ChainReport(event[1]))
        report.problems += _missing(name, report, event_id, anchored_hash, event)
    return other


def _events_by_id(session: Session, ids: set[int], chunk: int = 1000) -> dict[int, tuple[str, int | None]]:
    ordered, found = sorted(ids), {}
    for start in range(0, len(ordered), chunk):  # a few queries, however many anchors there are
        found.update((row.id, (row.hash, row.chain)) for row in session.execute(
            select(AuditEvent.id, AuditEvent.hash, AuditEvent.chain)
            .where(AuditEvent.id.in_(ordered[start:start + chunk]))))
    return found


def _missing(name: str, report: ChainReport, event_id: int, anchored_hash: str, event) -> list[str]:
    if report.count == 0:
        return [f"{name}：锚定了事件 {event_id}，但这条链是空的（日志被清空）"]
    if event_id > report.head.event_id:
        return [f"{name}：锚定了事件 {event_id}，但这条链只到事件 {report.head.event_id}（末尾被截去）"]
    if event is None or not event[0].startswith(anchored_hash) or event[1] != report.chain:
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
