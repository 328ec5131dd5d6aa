"""The session page's comment list, rendered once per change and shared: the part every resident sees alike
is cached under the session, its round and the round's state, the sort, the page, the language and the
comments' version (consultations.versions); the viewer's parts are put in after — their own comments and the
ones they support rendered for them alone, their CSRF token in the support forms.

Never cached: a moderator's list (hidden texts, every pending comment, moderation forms), the list of a
resident with comments waiting for review in the round (theirs are shown among the others), and a page that
opens a reply or report form. Those are rendered for their viewer by the same template.
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

from flask import render_template, url_for
from flask_babel import get_locale
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy import CompoundSelect, Select, bindparam, literal, select, union_all
from sqlalchemy.orm import joinedload, lazyload

from deliberation.accounts.models import Role, User
from deliberation.consultations import comments
from deliberation.consultations.models import (
    SORTS,
    Comment,
    CommentRound,
    CommentStatus,
    CommentSupport,
    Consultation,
)
from deliberation.extensions import cache, db
from deliberation.pagination import Page

logger = logging.getLogger(__name__)

# A stand-in for the viewer's CSRF token in the cached list; no text a person writes can hold a NUL
# (inputs.py refuses it), so it is never mistaken for one.
CSRF_SLOT = "\x00csrf\x00"
ITEM = re.compile(r"<!--item:(\d+):(\d+):(r?)-->(.*?)<!--/item-->", re.S)
# A backstop only: every change of the comments changes the key. What the version does not follow (an
# author's new display name) shows after at most this long.
TIMEOUT = 600


class Passerby:
    """The viewer the shared list is rendered for: a resident who wrote none of its comments and supports none."""

    id = 0
    is_authenticated = True
    is_admin = False

    def role_in(self, community_id: int) -> Role:
        return Role.RESIDENT


@dataclass(frozen=True)
class Shown:
    """What the session page needs of the list besides its HTML."""

    html: Markup
    round: CommentRound | None
    sort: str


def _link(consultation: Consultation, round_: CommentRound, sort: str, page: int) -> str:
    """This page of comments, for the links that choose the comment to reply to or to report."""
    return url_for(".detail", consultation_id=consultation.id, round=round_.number, sort=sort,
                   page=page if page > 1 else None)


def _context(consultation: Consultation, listing: comments.CommentListing, viewer, **extra) -> dict:
    link = _link(consultation, listing.round, listing.sort, listing.page.number)
    return {"consultation": consultation, "listing": listing, "current_user": viewer, "can_moderate": False,
            "reply_to": None, "report_to": None, "reply_form": None, "comment_link": link,
            "comment_sep": "&" if "?" in link else "?", **extra}


def _unmark(html: str) -> Markup:
    return Markup(ITEM.sub(lambda m: m.group(4), html))  # noqa: S704 -- our own rendered template


def for_viewer(consultation: Consultation, viewer: User, round_: CommentRound | None, sort: str, page: int,
               **context) -> Shown:
    """The list rendered for this viewer alone (moderators, reply and report forms, own pending comments)."""
    listing = comments.list_comments(db.session, viewer, consultation, round_=round_, sort=sort, page=page)
    if listing.round is None:
        return Shown(Markup(""), None, listing.sort)
    ctx = _context(consultation, listing, viewer, **context)
    return Shown(_unmark(render_template("consultations/_comment_list.html", **ctx)), listing.round, listing.sort)


def _key(consultation: Consultation, round_: CommentRound, sort: str, page: int) -> str:
    made = consultation.created_at.timestamp()  # a database restored or rebuilt never meets an old entry
    return (f"comment-list:2:{consultation.id}:{made:.6f}:{consultation.comments_version}:{round_.id}:"
            f"{round_.state.value}:{sort}:{page}:{get_locale()}")


def _shared(consultation: Consultation, round_: CommentRound, sort: str, page: int) -> dict:
    """The list as every resident sees it, with marks around each comment; from the cache or rendered now."""
    key = _key(consultation, round_, sort, page)
    try:
        entry = cache.get(key)
    except Exception:  # a cache that cannot be reached slows the page, it does not break it
        logger.warning("comment list cache unreachable", exc_info=True)
        entry = None
    if entry is not None:
        return entry
    listing = comments.list_comments(db.session, Passerby(), consultation, round_=round_, sort=sort, page=page,
                                     supports=False)
    ctx = _context(consultation, listing, Passerby(), csrf_token=lambda: CSRF_SLOT)
    html = render_template("consultations/_comment_list.html", **ctx)
    entry = {"html": html, "plain": str(_unmark(html)), "page": listing.page.number, "link": ctx["comment_link"],
             "items": [(int(m.group(1)), int(m.group(2))) for m in ITEM.finditer(html)]}
    try:
        cache.set(key, entry, timeout=TIMEOUT)
    except Exception:
        logger.warning("comment list cache unreachable", exc_info=True)
    return entry


@functools.cache
def _viewer_facts_statement(with_supports: bool) -> CompoundSelect | Select:
    """The statement of _viewer_facts, built once (its union took a tenth of the page's time to build)."""
    pending = select(Comment.id.label("id"), literal("p").label("kind")).where(
        Comment.round_id == bindparam("round_id"), Comment.author_id == bindparam("viewer_id"),
        Comment.status == CommentStatus.PENDING
    ).limit(1).subquery()
    stmt = select(pending.c.id, pending.c.kind)
    if not with_supports:
        return stmt
    return union_all(select(CommentSupport.comment_id, literal("s")).where(
        CommentSupport.user_id == bindparam("viewer_id"), CommentSupport.comment_id.in_(bindparam("ids", expanding=True))),
        stmt)


def _viewer_facts(round_: CommentRound, viewer: User, ids: list[int]) -> tuple[set[int], bool]:
    """The comments of the list the viewer supports, and whether they have comments waiting for review in
    the round (one query)."""
    rows = db.session.execute(_viewer_facts_statement(bool(ids)),
                              {"round_id": round_.id, "viewer_id": viewer.id, "ids": ids}).all()
    return {i for i, kind in rows if kind == "s"}, any(kind == "p" for _i, kind in rows)


def _own_items(consultation: Consultation, viewer: User, listing: comments.CommentListing, ids: set[int],
               link: str, entry_items: list[tuple[int, int]], replies: set[int]) -> dict[int, str]:
    """The viewer's own and supported comments of the list, rendered for them (one query, one render)."""
    found = {c.id: c for c in db.session.execute(
        select(Comment).where(Comment.id.in_(ids)).options(
            joinedload(Comment.author).options(lazyload(User.memberships)), joinedload(Comment.proposal_version))
    ).scalars()}
    items = [(found[i], i in replies) for i, _author in entry_items if i in found]
    # The state of the viewer's own questions (已收到 / 已答复) reads their thread's official answers.
    answers: dict[int, list[Comment]] = {i: [] for i in ids}
    for answer in db.session.execute(select(Comment).where(
            Comment.thread_id.in_(ids), Comment.is_official_answer.is_(True),
            Comment.status == CommentStatus.PUBLISHED)).scalars():
        answers[answer.thread_id].append(answer)
    listing.replies.update(answers)
    html = render_template("consultations/_comment_items.html", items=items, consultation=consultation,
                           listing=listing, current_user=viewer, can_moderate=False, reply_to=None, report_to=None,
                           reply_form=None, comment_link=link, comment_sep="&" if "?" in link else "?")
    return {int(m.group(1)): m.group(4) for m in ITEM.finditer(html)}


def comment_list(consultation: Consultation, viewer: User, wanted: CommentRound | None, sort: str, page: int,
                 *, moderator: bool, reply_to: int | None, report_to: int | None, viewer_marks: bool = True,
                 **context) -> Shown:
    """The round's comment list for the session page: the shared one with the viewer's parts, or their own.

    viewer_marks=False: the caller read with the session (access.session_page_or_404) that the viewer has neither comments
    waiting for review nor supports in it, and they are not asked for again."""
    sort = sort if sort in SORTS else "supported"
    round_ = comments.shown_round(consultation, wanted)
    if round_ is None:
        return Shown(Markup(""), None, sort)
    if moderator or reply_to is not None or report_to is not None:
        return for_viewer(consultation, viewer, round_, sort, page, reply_to=reply_to, report_to=report_to,
                          can_moderate=moderator, **context)
    entry = _shared(consultation, round_, sort, page)
    ids = [i for i, _author in entry["items"]]
    supported, waiting = _viewer_facts(round_, viewer, ids) if viewer_marks else (set(), False)
    if waiting:
        return for_viewer(consultation, viewer, round_, sort, page, **context)
    viewer_id = viewer.id
    own = {i for i, author in entry["items"] if author == viewer_id}
    theirs: dict[int, str] = {}
    if own or supported:
        replies = {int(m.group(1)) for m in ITEM.finditer(entry["html"]) if m.group(3)}
        listing = comments.CommentListing(Page([], entry["page"], 20, 0), {}, supported, round_, sort)
        theirs = _own_items(consultation, viewer, listing, own | supported, entry["link"], entry["items"], replies)
    token = generate_csrf()
    if not theirs:  # nothing of the viewer's own: the list as every resident sees it, with the viewer's token
        return Shown(Markup(entry["plain"].replace(CSRF_SLOT, token)), round_, sort)  # noqa: S704 -- as below

    def item(m: re.Match) -> str:
        found = theirs.get(int(m.group(1)))
        return found if found is not None else m.group(4).replace(CSRF_SLOT, token)

    return Shown(Markup(ITEM.sub(item, entry["html"])), round_, sort)  # noqa: S704 -- our own rendered template
