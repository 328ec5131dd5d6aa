"""Proposals (方案): their versions with the differences between them, and the records of their pictures."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import Session, selectinload

from deliberation import audit
from deliberation.accounts.models import User
from deliberation.consultations import pictures as picture_files
from deliberation.consultations.markup import DiffLine, line_diff, render_markdown
from deliberation.consultations.models import (
    MAX_LONG_TEXT,
    Consultation,
    Phase,
    Proposal,
    ProposalPicture,
    ProposalVersion,
)
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.validation import clean_text

MAX_PICTURES = 10

Upload = tuple[bytes, str]  # the file's bytes and the name it had on the user's device


def _store_pictures(session: Session, uploads: Sequence[Upload], kept: int = 0) -> list[ProposalPicture]:
    """Check every upload before storing any, so a bad file leaves nothing half-written.

    The files written are removed again if the transaction does not commit (pictures.store).
    """
    uploads = [u for u in uploads if u[0] or u[1]]
    if kept + len(uploads) > MAX_PICTURES:
        raise Invalid(_("每个版本最多 %(n)d 张图片", n=MAX_PICTURES), fields={"pictures": _("图片太多")})
    cleaned = [(picture_files.clean_picture(data, name), name) for data, name in uploads]
    return [
        ProposalPicture(
            stored_name=picture_files.store(clean, session),
            original_name=(name or "")[:200],
            content_type=clean.content_type,
            width=clean.width,
            height=clean.height,
            size=len(clean.data),
        )
        for clean, name in cleaned
    ]


# What else a new version must pass, registered by the capabilities that depend on proposals (voting: no
# new version while a vote on the proposal is open). Each takes (session, proposal) and raises a
# DomainError to refuse; consultations itself imports none of them.
version_checks: list[Callable[[Session, Proposal], None]] = []


def _refuse_when_closed(consultation: Consultation) -> None:
    if consultation.effective_phase.order >= Phase.CLOSED.order:
        raise Conflict(_("议事已结束，不能再修改方案"))


def create_proposal(
    session: Session,
    actor: User,
    consultation: Consultation,
    title: str,
    body_markdown: str,
    *,
    is_variant: bool = False,
    pictures: Sequence[Upload] = (),
    change_note: str = "",
) -> Proposal:
    """A proposal with its first version; the Markdown is stored alongside its sanitised HTML."""
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _refuse_when_closed(consultation)
    title = clean_text(title, "title", _("方案标题"), max_length=200)
    body = clean_text(body_markdown, "body", _("方案内容"), max_length=MAX_LONG_TEXT)
    note = clean_text(change_note, "change_note", _("说明"), max_length=1000, required=False)
    stored = _store_pictures(session, pictures)
    proposal = Proposal(consultation=consultation, is_variant=is_variant)
    version = ProposalVersion(
        proposal=proposal,
        number=1,
        title=title,
        body_markdown=body,
        body_html=render_markdown(body),
        change_note=note,
        created_by_id=actor.id,
        pictures=stored,
    )
    session.add_all([proposal, version])
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.create",
        proposal,
        community_id=consultation.community_id,
        consultation_id=consultation.id,
        title=title,
        pictures=len(stored),
    )
    return proposal


def add_version(
    session: Session,
    actor: User,
    proposal: Proposal,
    title: str,
    body_markdown: str,
    change_note: str,
    *,
    pictures: Sequence[Upload] = (),
    drop_picture_ids: Iterable[int] = (),
) -> ProposalVersion:
    """A new version of a proposal; earlier versions stay, and its pictures carry over unless dropped."""
    consultation = proposal.consultation
    require(consultation.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    _refuse_when_closed(consultation)
    title = clean_text(title, "title", _("方案标题"), max_length=200)
    body = clean_text(body_markdown, "body", _("方案内容"), max_length=MAX_LONG_TEXT)
    note = clean_text(change_note, "change_note", _("修改说明"), max_length=1000)
    for check in version_checks:
        check(session, proposal)
    previous = proposal.current_version
    drop = {int(i) for i in drop_picture_ids}
    kept = [
        ProposalPicture(
            stored_name=p.stored_name,
            original_name=p.original_name,
            caption=p.caption,
            content_type=p.content_type,
            width=p.width,
            height=p.height,
            size=p.size,
        )
        for p in previous.pictures
        if p.id not in drop
    ]
    stored = _store_pictures(session, pictures, kept=len(kept))
    version = ProposalVersion(
        proposal=proposal,
        number=previous.number + 1,
        title=title,
        body_markdown=body,
        body_html=render_markdown(body),
        change_note=note,
        created_by_id=actor.id,
        pictures=kept + stored,
    )
    session.add(version)
    session.flush()
    audit.record(
        session,
        actor,
        "proposal.version",
        proposal,
        community_id=consultation.community_id,
        number=version.number,
        title=title,
        change_note=note,
    )
    return version


@dataclass(frozen=True)
class VersionDiff:
    old: ProposalVersion
    new: ProposalVersion
    title_changed: bool
    lines: list[DiffLine]

    @property
    def changed(self) -> bool:
        return self.title_changed or any(line.kind != "same" for line in self.lines)


@functools.cache
def _proposals_statement() -> Select:
    """The statement of proposals_of, built once (every session page runs it)."""
    return (select(Proposal)
            .where(Proposal.consultation_id == bindparam("consultation_id"))
            .order_by(Proposal.id)
            .options(selectinload(Proposal.versions).selectinload(ProposalVersion.pictures),
                     selectinload(Proposal.ideas)))


def proposals_of(session: Session, consultation: Consultation) -> list[Proposal]:
    """A session's proposals in order, with their versions, pictures and linked ideas (four queries)."""
    return list(session.execute(_proposals_statement(), {"consultation_id": consultation.id}).scalars())


def version_diff(proposal: Proposal, number: int) -> VersionDiff | None:
    """What changed from the version before `number` to `number` (None for the first)."""
    new = proposal.version(number)
    old = proposal.version(number - 1)
    if new is None or old is None:
        return None
    return VersionDiff(old, new, old.title != new.title, line_diff(old.body_markdown, new.body_markdown))



def picture_file(picture: ProposalPicture) -> bytes:
    """The stored file of a picture, read whole (re-encoded to at most 1600 px wide), or NotFound."""
    path = picture_files.path_of(picture.stored_name)
    if not path.is_file():
        raise NotFound(_("找不到该图片"))
    return path.read_bytes()
