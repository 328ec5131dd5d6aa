"""Drafting, publishing and exporting the minutes of a consultation.

Moderators keep one draft per consultation (closing notes, the names for the signature lines and,
for a correction, what changed) and publish it: publishing freezes the assembled contents as JSON
with their SHA-256, so a published version reads the same whatever happens to the data later.
Residents who may see the consultation see and download its published versions; drafts are for
moderators only. Every export is audited.
"""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import User
from deliberation.consultations.models import Consultation, Phase
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound
from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import render
from deliberation.minutes.models import Minutes, MinutesStatus
from deliberation.minutes.tree import MinutesContents
from deliberation.validation import clean_text
from deliberation.voting.announcement import refuse_minutes_while_preliminary

logger = logging.getLogger(__name__)

MAX_NOTES = 20000
MAX_CHANGE_NOTE = 2000
MAX_NAME = 200


def _can_moderate(actor: User | None, consultation: Consultation) -> bool:
    """`None` is the command line, run by whoever operates the server."""
    return actor is None or consultation.can_moderate(actor)


def _can_view(actor: User | None, consultation: Consultation) -> bool:
    return actor is None or (actor.is_authenticated and consultation.can_view(actor))


def _require_moderator(actor: User | None, consultation: Consultation) -> None:
    if not _can_view(actor, consultation):
        raise NotFound(_("找不到该议事"))
    if not _can_moderate(actor, consultation):
        raise Forbidden(_("只有本居民区的主持人可以编辑和公布纪要"))


# -- reading -----------------------------------------------------------------------------------


def versions(session: Session, consultation: Consultation) -> list[Minutes]:
    """Every version, the draft (if any) last."""
    return list(
        session.execute(
            select(Minutes).where(Minutes.consultation_id == consultation.id).order_by(Minutes.number)
        ).scalars()
    )


def published_versions(session: Session, consultation: Consultation) -> list[Minutes]:
    return [m for m in versions(session, consultation) if m.is_published]


def current_draft(session: Session, consultation: Consultation) -> Minutes | None:
    return session.execute(
        select(Minutes).where(Minutes.consultation_id == consultation.id, Minutes.status == MinutesStatus.DRAFT)
    ).scalar()


def latest_published(session: Session, consultation: Consultation) -> Minutes | None:
    return session.execute(
        select(Minutes)
        .where(Minutes.consultation_id == consultation.id, Minutes.status == MinutesStatus.PUBLISHED)
        .order_by(Minutes.number.desc())
        .limit(1)
    ).scalar()


@dataclass(frozen=True)
class DraftFields:
    closing_notes: str = ""
    host: str = ""
    recorder: str = ""
    change_note: str = ""


def draft_fields(session: Session, consultation: Consultation) -> DraftFields:
    """What the draft holds; before there is one, the last publication's notes (a correction starts there)."""
    draft = current_draft(session, consultation)
    if draft is not None:
        return DraftFields(draft.closing_notes, draft.host, draft.recorder, draft.change_note)
    last = latest_published(session, consultation)
    if last is not None:
        return DraftFields(last.closing_notes, last.host, last.recorder, "")
    host = consultation.created_by.display_name if consultation.created_by else ""
    return DraftFields(host=host)


def _next_number(session: Session, consultation: Consultation) -> int:
    last = session.execute(
        select(func.max(Minutes.number)).where(Minutes.consultation_id == consultation.id)
    ).scalar()
    return (last or 0) + 1


def preview(session: Session, actor: User | None, consultation: Consultation) -> MinutesContents:
    """The draft as it would read if published now (moderators only)."""
    _require_moderator(actor, consultation)
    fields = draft_fields(session, consultation)
    draft = current_draft(session, consultation)
    number = draft.number if draft is not None else _next_number(session, consultation)
    return minutes_contents.assemble(
        session, actor, consultation, closing_notes=fields.closing_notes, host=fields.host,
        recorder=fields.recorder, version=number, draft=True, change_note=fields.change_note,
    )


def contents_for(
    session: Session, actor: User | None, consultation: Consultation, *, version: int | None = None,
    draft: bool = False,
) -> MinutesContents:
    """A published version (the latest unless `version`), or the draft for moderators.

    Residents never see a draft: asking for one, or for minutes not yet published, is 404. A
    moderator asking for minutes before any publication gets the draft.
    """
    if not _can_view(actor, consultation):
        raise NotFound(_("找不到该议事"))
    if draft:
        if not _can_moderate(actor, consultation):
            raise NotFound(_("纪要尚未公布"))
        return preview(session, actor, consultation)
    if version is not None:
        row = session.execute(
            select(Minutes).where(
                Minutes.consultation_id == consultation.id,
                Minutes.number == version,
                Minutes.status == MinutesStatus.PUBLISHED,
            )
        ).scalar()
        if row is None:
            raise NotFound(_("找不到该版本的纪要"))
        return minutes_contents.from_json(row.data)
    row = latest_published(session, consultation)
    if row is not None:
        return minutes_contents.from_json(row.data)
    if _can_moderate(actor, consultation):
        return preview(session, actor, consultation)
    raise NotFound(_("纪要尚未公布"))


# -- writing -----------------------------------------------------------------------------------


def _update_draft(session: Session, draft: Minutes, values: dict, refused: str) -> None:
    """Write to the draft only while it is still a draft: of two moderators saving or publishing at
    once, the second finds it published and is refused instead of changing a publication."""
    result = session.execute(
        update(Minutes)
        .where(Minutes.id == draft.id, Minutes.status == MinutesStatus.DRAFT)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise Conflict(refused)
    session.expire(draft)


def save_draft(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    *,
    closing_notes: str = "",
    host: str = "",
    recorder: str = "",
    change_note: str = "",
) -> Minutes:
    """Write the draft's closing notes and names (creating the draft, numbered after the last version)."""
    _require_moderator(actor, consultation)
    closing_notes = clean_text(closing_notes, "closing_notes", _("结语"), max_length=MAX_NOTES, required=False)
    host = clean_text(host, "host", _("主持人"), max_length=MAX_NAME, required=False)
    recorder = clean_text(recorder, "recorder", _("记录人"), max_length=MAX_NAME, required=False)
    change_note = clean_text(change_note, "change_note", _("更正说明"), max_length=MAX_CHANGE_NOTE,
                             required=False)
    values = {"closing_notes": closing_notes, "host": host, "recorder": recorder, "change_note": change_note,
              "updated_at": utcnow()}
    draft = current_draft(session, consultation)
    if draft is None:
        draft = Minutes(
            consultation_id=consultation.id,
            community_id=consultation.community_id,
            number=_next_number(session, consultation),
            status=MinutesStatus.DRAFT,
            created_by_id=getattr(actor, "id", None),
            **values,
        )
        try:
            with session.begin_nested():
                session.add(draft)
        except IntegrityError as error:  # another moderator created the draft at the same moment
            raise Conflict(_("另一位主持人刚刚建立了草稿，请刷新后再保存")) from error
    else:
        _update_draft(session, draft, values, _("这一版纪要刚刚已公布，请刷新后再修改"))
    audit.record(session, actor, "minutes.draft", draft, community_id=consultation.community_id,
                 consultation_id=consultation.id, number=draft.number)
    return draft


def publish(session: Session, actor: User | None, consultation: Consultation) -> Minutes:
    """Freeze the draft as the next published version; the first publication moves the session on."""
    _require_moderator(actor, consultation)
    phase = consultation.effective_phase
    if phase.order < Phase.CLOSED.order:
        raise Conflict(_("议事结束后才能公布纪要（当前阶段尚未结束）"))
    draft = current_draft(session, consultation)
    if draft is None:
        raise Conflict(_("还没有纪要草稿，请先填写并保存结语"))
    refuse_minutes_while_preliminary(session, consultation)
    earlier = latest_published(session, consultation)
    if earlier is not None and not draft.change_note.strip():
        raise Invalid(_("更正版须说明改了什么"), fields={"change_note": _("请说明本版更正了什么")})
    contents = minutes_contents.assemble(
        session, actor, consultation, closing_notes=draft.closing_notes, host=draft.host,
        recorder=draft.recorder, version=draft.number, draft=False, change_note=draft.change_note,
    )
    head = audit.anchor(session, "minutes", community_id=consultation.community_id)
    contents = dataclasses.replace(contents, audit_head=head.printed if head else "")
    data = minutes_contents.to_json(contents)
    _update_draft(session, draft, {
        "data": data,
        "content_digest": minutes_contents.content_digest(data),
        "ballot_digest": contents.ballot_digest or None,
        "status": MinutesStatus.PUBLISHED,
        "published_at": contents.generated_at,
        "published_by_id": getattr(actor, "id", None),
        "updated_at": utcnow(),
    }, _("这一版纪要已经公布了"))
    audit.record(
        session, actor, "minutes.publish", draft, community_id=consultation.community_id,
        consultation_id=consultation.id, number=draft.number, content_digest=draft.content_digest,
        ballot_digest=draft.ballot_digest, change_note=draft.change_note,
    )
    logger.info("minutes %s v%s of consultation %s published by %s", draft.id, draft.number, consultation.id,
                getattr(actor, "id", None))
    if phase == Phase.CLOSED and actor is not None:
        from deliberation.consultations.sessions import move_phase

        move_phase(session, actor, consultation, Phase.MINUTES_PUBLISHED)
    return draft


# -- export ------------------------------------------------------------------------------------


def export(
    session: Session,
    actor: User | None,
    consultation: Consultation,
    fmt: str,
    *,
    version: int | None = None,
    draft: bool = False,
) -> tuple[bytes, str, str]:
    """(file bytes, file name, MIME type) of the minutes in one format: pdf, docx, md, html, csv, xlsx.

    Published versions render from their frozen data; otherwise (moderators) the draft is assembled
    now with aggregate queries only, so a session with thousands of comments exports in seconds.
    """
    fmt = (fmt or "").lower().lstrip(".")
    if fmt not in render.FORMATS:
        raise Invalid(_("不支持的格式：%(f)s（可选 %(all)s）", f=fmt, all="、".join(render.FORMATS)),
                      fields={"format": _("格式无效")})
    contents = contents_for(session, actor, consultation, version=version, draft=draft)
    data = render.render(contents, fmt)
    audit.record(session, actor, "minutes.export", consultation, community_id=consultation.community_id,
                 format=fmt, version=contents.version, draft=contents.draft, bytes=len(data))
    return data, render.filename(contents, fmt), render.MIMETYPES[fmt]
