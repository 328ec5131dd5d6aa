"""Printable paper forms (征询单) of a vote: one A4 page per unit (per voter of the unit), or a blank one.

Each page carries the question, the proposal's version, the options numbered as paper entry reads
them (paper.paper_choice), the unit and its owners, a QR code to the vote, and a tear-off stub with
the receipt code that entering this very form records (receipts.paper_receipt), so a voter on paper
checks the published receipt list as an online voter does.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import segno
from flask_babel import gettext as _
from markupsafe import Markup
from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from deliberation.accounts.demographics import room_order
from deliberation.accounts.models import Building, Unit, User
from deliberation.consultations.models import Proposal, ProposalVersion
from deliberation.errors import Conflict, Invalid, NotFound, require
from deliberation.voting.models import Vote, VoteBasis, VoteKind, VoteState, VoteVoter, VoteVoterUnit
from deliberation.voting.receipts import paper_receipt
from deliberation.voting.reconcile import names_of_voters

MAX_SHEETS = 2000  # a building of a few hundred units, with room to spare


@dataclass
class FormOption:
    """One numbered answer on the form: the number entry accepts, the words, the proposal's version."""

    number: int
    label: str
    version: int | None = None


@dataclass
class FormSheet:
    """One printed form: blank (no unit, no code) or a unit's, for one voter of the unit."""

    unit_label: str = ""
    building: str = ""
    room: str = ""
    owners: str = ""
    receipt: str = ""


@dataclass
class PaperForms:
    """What the template prints: the vote's question, numbered options and the sheets."""

    vote: Vote
    question: str
    version: int | None
    options: list[FormOption]
    sheets: list[FormSheet] = field(default_factory=list)
    owner_word: str = ""


def qr_svg(link: str, *, scale: int = 4, border: int = 1) -> Markup:
    """A QR code to ``link`` as inline SVG, for the printed forms and notices (drawn by segno from our own URL)."""
    return Markup(segno.make(link, error="m").svg_inline(scale=scale, border=border, omitsize=True))  # noqa: S704


def proposal_version(vote: Vote) -> int | None:
    """The version of the proposal put to the vote: recorded on the vote when it has one, else the current."""
    recorded = getattr(vote, "proposal_version", None)
    if recorded is not None:
        return recorded
    return vote.proposal.current_version.number if vote.proposal is not None and vote.proposal.versions else None


def form_options(session: Session, vote: Vote) -> list[FormOption]:
    """The answers, numbered as paper entry reads them: 1 同意 2 不同意 3 弃权, or the variants in order."""
    if vote.kind == VoteKind.PROPOSAL:
        return [FormOption(1, _("同意")), FormOption(2, _("不同意")), FormOption(3, _("弃权"))]
    ids = [o.proposal_id for o in vote.options if o.proposal_id is not None]
    versions = dict(session.execute(
        select(ProposalVersion.proposal_id, ProposalVersion.number).where(ProposalVersion.proposal_id.in_(ids))
        .order_by(ProposalVersion.proposal_id, ProposalVersion.number)
    ).all()) if ids else {}  # the last (highest) number of each proposal wins
    return [FormOption(n, o.label, versions.get(o.proposal_id)) for n, o in enumerate(vote.options, start=1)]


def paper_forms(session: Session, actor: User, vote: Vote, *, building_id: int | None = None,
                room: str | None = None, blank: bool = False) -> PaperForms:
    """The forms to print: blank, every unit of a building, or one unit (``room``) of it.

    Unit forms carry receipt codes of the frozen electorate, so they are printed once the vote is
    open; a blank form can be printed for a draft too. Nothing is printed after the close.
    """
    if vote.state == VoteState.CLOSED:
        raise Conflict(_("表决已结束，不再打印征询单"))
    forms = PaperForms(vote, vote.title, proposal_version(vote), form_options(session, vote),
                       owner_word=_("业主") if vote.basis == VoteBasis.OWNER else _("表决权人"))
    if blank:
        require(vote.can_enter_paper(actor), _("只有主持人或楼组长可以打印征询单"))
        forms.sheets = [FormSheet()]
        return forms
    building = session.get(Building, building_id) if building_id is not None else None
    if building is None or building.community_id != vote.community_id:
        raise NotFound(_("找不到该楼栋"))
    require(vote.can_enter_paper(actor, building), _("只有主持人或本楼楼组长可以打印本楼的征询单"))
    if vote.opened_at is None:
        raise Conflict(_("表决开启、表决权人名册固定后才能打印带回执码的征询单；现在可以打印空白征询单"))
    stmt = (
        select(Unit.id, Unit.room, VoteVoterUnit.voter_key)
        .join(VoteVoterUnit, and_(VoteVoterUnit.unit_id == Unit.id, VoteVoterUnit.vote_id == vote.id))
        .join(VoteVoter, and_(VoteVoter.vote_id == vote.id, VoteVoter.voter_key == VoteVoterUnit.voter_key))
        .where(Unit.building_id == building.id, VoteVoter.advisory.is_(False))
        .order_by(*room_order(Unit.room), VoteVoterUnit.voter_key)
    )
    if room is not None:
        room = room.strip().removesuffix("室")
        if not room:
            raise Invalid(_("请填写室号"), fields={"room": _("请填写室号")})
        stmt = stmt.where(Unit.room == room)
    rows = session.execute(stmt.limit(MAX_SHEETS + 1)).all()
    if len(rows) > MAX_SHEETS:
        raise Invalid(_("一次最多打印 %(n)d 张，请分开打印", n=MAX_SHEETS))
    if not rows:
        if room is not None:
            raise NotFound(_("%(unit)s没有表决权人", unit=f"{building.name}{room}室"))
        raise NotFound(_("%(building)s没有表决权人", building=building.name))
    names = names_of_voters(session, vote, {key for _u, _r, key in rows})
    forms.sheets = [FormSheet(f"{building.name}{unit_room}室", building.name, unit_room, names.get(key, ""),
                              paper_receipt(vote.id, unit_id, key)[0])
                    for unit_id, unit_room, key in rows]
    return forms


def proposal_title(session: Session, vote: Vote) -> str:
    """The title of the proposal put to the vote, in its current words ("" for a vote between variants)."""
    if vote.proposal_id is None:
        return ""
    proposal = session.get(Proposal, vote.proposal_id)
    return proposal.title if proposal is not None else ""
