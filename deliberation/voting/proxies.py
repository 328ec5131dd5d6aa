"""Written proxies (委托) of an owners' vote: recording them (online by the owner, on paper by a moderator
with a photo of the signed form), revoking them, the limit per proxy, and casting by proxy.

《上海市住宅物业管理规定》 Art. 18: owners may decide by written consultation, and an owner may authorise
someone in writing (书面委托) who then votes as the owner stated on each matter. Here:

- one standing authorisation per owner (voter key: co-owners of a unit are one owner) and vote, with the
  owner's instruction — a choice written like a ballot's, or None where the owner leaves it to the proxy
  (由受托人决定);
- a person holds at most ``PROXY_LIMIT`` standing authorisations per vote (a setting, 3 unless set);
- only owners of the vote's binding electorate: before the opening as it would be counted
  (electorate.owner_groups over the session's owners), after it the frozen rows;
- the proxy's ballot is the owner's ballot (the owner's voter key, one per vote as ever) with source PROXY
  and the authorisation it was cast under; it must equal the instruction unless 由受托人决定;
- the owner may revoke until the ballot is cast; an owner who votes before the proxy is counted as
  themselves, and the proxy can no longer cast;
- the receipt goes to the owner: a notification, and the code shown on the owner's vote page (derived
  from the authorisation, receipts.proxy_receipt, so it is stored nowhere).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from deliberation import audit
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit, User
from deliberation.consultations import pictures
from deliberation.consultations.notifications import notify
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound, require
from deliberation.pagination import Page, paginate
from deliberation.voting.casting import CastResult, _insert_once, audit_choice, canonical_choice, is_minor
from deliberation.voting.electorate import SHANGHAI, compute_electorate, of_age, voter_facts
from deliberation.voting.labels import describe_choice
from deliberation.voting.lifecycle import open_with_version, refresh
from deliberation.voting.models import (
    WITHHELD,
    Ballot,
    BallotSource,
    Vote,
    VoteBasis,
    VoteProxy,
    VoteState,
    VoteVoter,
    VoteVoterUnit,
)
from deliberation.voting.receipts import proxy_receipt

logger = logging.getLogger(__name__)

ONLINE = "online"
PAPER = "paper"


def proxy_limit() -> int:
    """How many standing authorisations one person may hold per vote (the setting PROXY_LIMIT, 3 unless set)."""
    return int(current_app.config.get("PROXY_LIMIT", 3))


@dataclass(frozen=True)
class OwnerVoter:
    """An owner's place in a vote's binding electorate: the voter key and every person of it (co-owners)."""

    key: str
    person_ids: tuple[int, ...]


def owner_voter(session: Session, vote: Vote, person_id: int) -> OwnerVoter | None:
    """The owner's voter in the vote's binding electorate, or None for someone outside it.

    Once the vote has opened, the frozen rows answer (an owner group is keyed by its first person; a co-owner
    finds it through the units they own). Before, the electorate as the opening would freeze it now
    (electorate.compute_electorate, the one computation the roll and the opening share: owner_groups, SPC
    interpretation on building ownership Arts. 8-9)."""
    if vote.opened_at is not None:
        return frozen_owner_voters(session, vote, {person_id}).get(person_id)
    voters, _units, _counted = compute_electorate(session, vote)
    for row in voters:
        if not row["advisory"] and person_id in row["person_ids"]:
            return OwnerVoter(row["voter_key"], tuple(int(p) for p in row["person_ids"]))
    return None


def find_person(session: Session, community_id: int, building_id: int | None, room: str, name: str) -> Person | None:
    """The person of the community's roster with this name who lives in or owns that room, if exactly one."""
    room = (room or "").strip().removesuffix("室")
    name = (name or "").strip()
    if building_id is None or not room or not name:
        return None
    in_room = and_(Unit.building_id == building_id, Unit.room == room)
    lives = select(Person.id).join(Household, Household.id == Person.household_id).join(
        Unit, Unit.id == Household.unit_id).where(in_room)
    owns = select(Ownership.person_id).join(Unit, Unit.id == Ownership.unit_id).where(in_room)
    found = session.execute(
        select(Person).where(Person.community_id == community_id, Person.name == name,
                             or_(Person.id.in_(lives), Person.id.in_(owns))).limit(2)
    ).scalars().all()
    return found[0] if len(found) == 1 else None


def proxy_of(session: Session, vote: Vote, proxy_id: int | None) -> VoteProxy:
    """The vote's authorisation of that id; any other does not exist (404)."""
    proxy = session.get(VoteProxy, proxy_id) if proxy_id is not None else None
    if proxy is None or proxy.vote_id != vote.id:
        raise NotFound(_("找不到该委托"))
    return proxy


def _cast_under(session: Session, proxy_id: int) -> bool:
    return session.execute(select(exists().where(Ballot.proxy_id == proxy_id))).scalar()


def _adult(person: Person) -> bool:
    return of_age(person.birth_year, utcnow().astimezone(SHANGHAI).year)


def _owners_users(session: Session, person_ids) -> list[int]:
    return list(session.execute(select(User.id).where(User.person_id.in_(list(person_ids)))).scalars())


def record_proxy(session: Session, actor: User, vote: Vote, owner_person_id: int | None, proxy_person_id: int | None,
                 instruction: object = None, *, document: pictures.CleanPicture | None = None) -> VoteProxy:
    """Record an owner's written authorisation for this vote: online by the owner themselves, or from a
    signed paper form by a moderator (optionally with a photo of it, served to moderators only).

    ``instruction``: the choice to cast (as a ballot's choice is sent), or None for 由受托人决定."""
    moderator = vote.can_moderate(actor)
    by_owner = actor.is_authenticated and actor.person_id is not None and actor.person_id == owner_person_id
    require(moderator or by_owner, _("只能为自己委托他人；纸质委托书由主持人录入"))
    if document is not None and not moderator:
        raise Forbidden(_("委托书照片由主持人上传"))
    if vote.basis != VoteBasis.OWNER:
        raise Conflict(_("只有按业主计票的表决可以书面委托"))
    refresh(session, vote)
    session.execute(select(Vote.id).where(Vote.id == vote.id).with_for_update())  # the limit holds under races
    if vote.state == VoteState.CLOSED:
        raise Conflict(_("表决已结束，不能再委托"))
    if by_owner and not moderator and is_minor(actor):
        raise Forbidden(_("未满18周岁的业主由监护人签署纸质委托书"))
    owner = session.get(Person, owner_person_id) if owner_person_id is not None else None
    voter = owner_voter(session, vote, owner.id) if owner is not None and owner.community_id == vote.community_id \
        else None
    if voter is None:
        message = _("委托人不在本次表决的业主名册中")
        raise Invalid(message, fields={"owner": message})
    proxy_person = session.get(Person, proxy_person_id) if proxy_person_id is not None else None
    if proxy_person is None or proxy_person.community_id != vote.community_id:
        message = _("受托人须是本居民区名册上的人")
        raise Invalid(message, fields={"proxy": message})
    if proxy_person.id in voter.person_ids:
        message = _("受托人不能是本套房屋的业主自己")
        raise Invalid(message, fields={"proxy": message})
    if not _adult(proxy_person):
        message = _("受托人须年满18周岁")
        raise Invalid(message, fields={"proxy": message})
    stored = None
    if instruction not in (None, ""):
        try:
            stored = canonical_choice(vote, instruction)
        except Invalid as error:
            raise Invalid(error.message, fields={"instruction": error.message}) from None
    standing = session.execute(
        select(VoteProxy.id).where(VoteProxy.vote_id == vote.id, VoteProxy.revoked_at.is_(None),
                                   VoteProxy.owner_person_id.in_(voter.person_ids)).limit(1)
    ).scalar()
    if standing is not None:
        raise Conflict(_("该业主已有一份委托；如需更换受托人，请先撤销原委托"))
    if vote.opened_at is not None and session.execute(select(exists().where(
            Ballot.vote_id == vote.id, Ballot.voter_key == voter.key))).scalar():
        raise Conflict(_("该业主已投票，不能再委托"))
    held = session.execute(
        select(func.count()).where(VoteProxy.vote_id == vote.id, VoteProxy.proxy_person_id == proxy_person.id,
                                   VoteProxy.revoked_at.is_(None))
    ).scalar()
    limit = proxy_limit()
    if held >= limit:
        raise Conflict(_("%(name)s在本次表决中已受托 %(n)d 份，每人最多受托 %(limit)d 份",
                         name=proxy_person.name, n=held, limit=limit), detail={"limit": limit})
    proxy = VoteProxy(vote_id=vote.id, owner_person_id=owner.id, proxy_person_id=proxy_person.id,
                      instruction=stored, source=ONLINE if by_owner and document is None else PAPER,
                      document=pictures.store(document, session) if document is not None else None,
                      recorded_by_id=actor.id, created_at=utcnow())
    session.add(proxy)
    session.flush()
    audit.record(session, actor, "proxy.record", proxy, community_id=vote.community_id, vote_id=vote.id,
                 owner_person_id=owner.id, proxy_person_id=proxy_person.id, source=proxy.source,
                 with_document=document is not None,
                 **({} if vote.secret else {"instruction": stored if stored is not None else "proxy_decides"}))
    notify(session, _owners_users(session, [proxy_person.id]), "vote",
           _l("%(owner)s委托您在表决“%(title)s”中代为投票", owner=owner.name, title=vote.title),
           f"/votes/{vote.id}/proxy-ballot?proxy={proxy.id}")
    logger.info("proxy %s recorded on vote %s by user %s", proxy.id, vote.id, actor.id)
    return proxy


def revoke_proxy(session: Session, actor: User, vote: Vote, proxy_id: int | None) -> VoteProxy:
    """Revoke an authorisation (the owner, or a moderator recording a written revocation) before it is used."""
    proxy = proxy_of(session, vote, proxy_id)
    require(proxy.can_revoke(actor), _("只有委托人本人或主持人可以撤销委托"))
    refresh(session, vote)
    if proxy.revoked_at is not None:
        raise Conflict(_("该委托已撤销"))
    if vote.state == VoteState.CLOSED:
        raise Conflict(_("表决已结束，不能再撤销委托"))
    if _cast_under(session, proxy.id):
        raise Conflict(_("受托人已按委托投票，不能再撤销"))
    proxy.revoked_at = utcnow()
    proxy.revoked_by_id = actor.id
    session.flush()
    audit.record(session, actor, "proxy.revoke", proxy, community_id=vote.community_id, vote_id=vote.id)
    notify(session, _owners_users(session, [proxy.proxy_person_id]), "vote",
           _l("您在表决“%(title)s”中的一份受托已撤销", title=vote.title), f"/votes/{vote.id}")
    return proxy


def cast_by_proxy(session: Session, actor: User, vote: Vote, proxy_id: int | None, choice: object) -> CastResult:
    """Cast the owner's ballot under a written authorisation, as instructed (or as the proxy decides where
    the owner left it to them). The receipt goes to the owner; ``receipt`` of the answer stays empty."""
    proxy = proxy_of(session, vote, proxy_id)
    refresh(session, vote)
    is_open, version = open_with_version(session, vote)
    if not is_open:
        raise Conflict(_("表决未在进行中，不能投票"), detail={"state": vote.state.value})
    require(actor.is_authenticated and actor.person_id == proxy.proxy_person_id, _("这份委托不是给您的"))
    if proxy.revoked_at is not None:
        raise Conflict(_("业主已撤销这份委托，不能再代为投票"))
    voter = owner_voter(session, vote, proxy.owner_person_id)
    row = session.get(VoteVoter, (vote.id, voter.key)) if voter is not None else None
    if row is None:
        raise Forbidden(_("委托人不在本次表决的业主名册中"))
    stored = canonical_choice(vote, choice)
    if proxy.instruction is not None and stored != proxy.instruction:
        message = _("委托书写明“%(choice)s”，受托人只能按委托投票", choice=describe_choice(vote, proxy.instruction))
        raise Forbidden(message, fields={"choice": message})
    code, digest = proxy_receipt(vote.id, proxy.id)
    now = utcnow()
    created = _insert_once(session, {
        "vote_id": vote.id, "voter_key": row.voter_key, "choice": stored, "source": BallotSource.PROXY,
        "cast_by_id": actor.id, "entered_by_id": None, "receipt_hash": digest, "proposal_version": version,
        "changes": 0, "cast_at": now, "updated_at": now, "proxy_id": proxy.id, **voter_facts(row)})
    if not created:
        if _cast_under(session, proxy.id):
            raise Conflict(_("您已按这份委托投过票"))
        raise Conflict(_("业主本人已投票，按业主本人的选票计算，这份委托不再使用"))
    audit.record(session, actor, "ballot.proxy_cast", vote, community_id=vote.community_id, proxy_id=proxy.id,
                 advisory=False, **audit_choice(vote, stored))
    notify(session, _owners_users(session, row.person_ids or []), "vote",
           _l("受托人已按您的委托在表决“%(title)s”中投票；回执码请在表决页查看", title=vote.title), f"/votes/{vote.id}")
    return CastResult(stored, digest, True, "")


def owner_receipt(vote: Vote, ballot: Ballot | None) -> str | None:
    """The receipt code of the owner's ballot cast by proxy, shown on the owner's vote page."""
    if ballot is None or ballot.source != BallotSource.PROXY or ballot.proxy_id is None:
        return None
    return proxy_receipt(vote.id, ballot.proxy_id)[0]


# -- what the pages and the API show ------------------------------------------------------------


@dataclass
class ProxyView:
    """One authorisation as listed: who, for whom, the instruction in words, how recorded, whether used."""

    id: int
    owner_person_id: int
    owner_name: str
    owner_units: str
    proxy_person_id: int
    proxy_name: str
    instruction: str | None
    instruction_label: str
    source: str
    has_document: bool
    created_at: datetime
    revoked_at: datetime | None
    cast: bool
    owner_voted: bool = False  # the owner's ballot came another way (online, on paper): that one counts

    @property
    def state(self) -> str:
        if self.cast:
            return "cast"
        return "revoked" if self.revoked_at else "owner_voted" if self.owner_voted else "standing"


def instruction_label(vote: Vote, instruction: str | None) -> str:
    """The owner's instruction in words: 同意 …, 由受托人决定, or withheld after a secret vote's close."""
    if instruction is None:
        return _("由受托人决定")
    if instruction == WITHHELD:
        return _("（无记名表决结束后不再保存）")
    return describe_choice(vote, instruction)


def frozen_owner_voters(session: Session, vote: Vote, person_ids: set[int]) -> dict[int, OwnerVoter]:
    """After the opening: each of these persons' voter in the frozen binding electorate, where they have one (an
    owner group is keyed by its first person; a co-owner finds it through the units they own). One statement."""
    if not person_ids:
        return {}
    through_units = (select(VoteVoterUnit.voter_key).join(Ownership, Ownership.unit_id == VoteVoterUnit.unit_id)
                     .where(VoteVoterUnit.vote_id == vote.id, Ownership.person_id.in_(person_ids)))
    found: dict[int, OwnerVoter] = {}
    for key, ids in session.execute(
        select(VoteVoter.voter_key, VoteVoter.person_ids)
        .where(VoteVoter.vote_id == vote.id, VoteVoter.advisory.is_(False),
               or_(VoteVoter.voter_key.in_([f"o:{p}" for p in person_ids]), VoteVoter.voter_key.in_(through_units)))
    ).all():
        voter = OwnerVoter(key, tuple(int(p) for p in ids or []))
        for person in set(voter.person_ids) & person_ids:
            found.setdefault(person, voter)
    return found


def _owners_ballots(session: Session, vote: Vote, owner_ids: set[int]) -> dict[int, int | None]:
    """For each of these owners whose voter has a ballot: the authorisation it was cast under (None: the owner
    voted online or on paper). Two statements; none before the opening (no ballot yet)."""
    if vote.opened_at is None:
        return {}
    key_of = {person: voter.key for person, voter in frozen_owner_voters(session, vote, owner_ids).items()}
    if not key_of:
        return {}
    cast_under = dict(session.execute(select(Ballot.voter_key, Ballot.proxy_id).where(
        Ballot.vote_id == vote.id, Ballot.voter_key.in_(set(key_of.values())))).all())
    return {person: cast_under[key] for person, key in key_of.items() if key in cast_under}


def _views(session: Session, vote: Vote, rows) -> list[ProxyView]:
    owner_ids = {row.owner_person_id for row in rows}
    ballots = _owners_ballots(session, vote, owner_ids)
    units: dict[int, list[str]] = {}
    if owner_ids:
        for person_id, building, room in session.execute(
            select(Ownership.person_id, Building.name, Unit.room).join(Unit, Unit.id == Ownership.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Ownership.person_id.in_(owner_ids), Building.community_id == vote.community_id)
            .order_by(Building.sort_key, Unit.room)
        ).all():
            units.setdefault(person_id, []).append(f"{building}{room}室")
    return [ProxyView(row.id, row.owner_person_id, row.owner_name, "、".join(units.get(row.owner_person_id, [])),
                      row.proxy_person_id, row.proxy_name, row.instruction,
                      instruction_label(vote, row.instruction), row.source, bool(row.document), row.created_at,
                      row.revoked_at, bool(row.cast),
                      row.owner_person_id in ballots and ballots[row.owner_person_id] != row.id) for row in rows]


def _listing(vote: Vote):
    owner, holder = aliased(Person), aliased(Person)
    cast = exists().where(Ballot.proxy_id == VoteProxy.id).label("cast")
    return (select(VoteProxy.id, VoteProxy.owner_person_id, owner.name.label("owner_name"),
                   VoteProxy.proxy_person_id, holder.name.label("proxy_name"), VoteProxy.instruction,
                   VoteProxy.source, VoteProxy.document, VoteProxy.created_at, VoteProxy.revoked_at, cast)
            .join(owner, owner.id == VoteProxy.owner_person_id)
            .join(holder, holder.id == VoteProxy.proxy_person_id)
            .where(VoteProxy.vote_id == vote.id))


def vote_proxies(session: Session, actor: User, vote: Vote, *, page: int | None = None, per_page: int = 50) -> Page:
    """Every authorisation of the vote, newest first (moderators): a page of ProxyView."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    found = paginate(session, _listing(vote).order_by(VoteProxy.id.desc()), per_page=per_page, number=page)
    return replace(found, items=_views(session, vote, found.items))


def my_proxies(session: Session, user: User, vote: Vote) -> tuple[list[ProxyView], list[ProxyView]]:
    """The user's own: the authorisations they gave as owner (any person of their voter), and those they hold
    (standing or used). Two short lists for the vote page and the API."""
    if not user.is_authenticated or user.person_id is None:
        return [], []
    voter = owner_voter(session, vote, user.person_id) if vote.basis == VoteBasis.OWNER else None
    owners = list(voter.person_ids) if voter is not None else [user.person_id]
    given = _views(session, vote, session.execute(
        _listing(vote).where(VoteProxy.owner_person_id.in_(owners)).order_by(VoteProxy.id.desc())).all())
    held = _views(session, vote, session.execute(
        _listing(vote).where(VoteProxy.proxy_person_id == user.person_id).order_by(VoteProxy.id)).all())
    return given, held


def my_view(session: Session, vote: Vote, proxy_id: int) -> ProxyView:
    """One authorisation as listed (the answer of recording or revoking it)."""
    return _views(session, vote, session.execute(_listing(vote).where(VoteProxy.id == proxy_id)).all())[0]


def document_path(actor: User, vote: Vote, proxy: VoteProxy):
    """The stored photo of a paper authorisation (moderators only), or NotFound."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if not proxy.document:
        raise NotFound(_("这份委托没有照片"))
    path = pictures.upload_folder() / proxy.document
    if not path.is_file():
        raise NotFound(_("这份委托没有照片"))
    return path


# -- the printable authorisation form (委托书) ----------------------------------------------------


@dataclass
class AuthorisationSheet:
    """What a printed 委托书 names beforehand: the owner(s) and their unit(s); blank lines where unknown."""

    owners: str = ""
    units: str = ""


def authorisation_sheet(session: Session, actor: User, vote: Vote, *, building_id: int | None = None,
                        room: str | None = None) -> AuthorisationSheet:
    """The 委托书 to print: for a unit's owner (moderators and that building's floor captains, ?building&room),
    for the actor's own unit when they are an owner of the vote, or blank."""
    if vote.basis != VoteBasis.OWNER:
        raise Conflict(_("只有按业主计票的表决可以书面委托"))
    if vote.state == VoteState.CLOSED:
        raise Conflict(_("表决已结束，不能再委托"))
    person_ids: list[int] = []
    if building_id is not None and room:
        building = session.get(Building, building_id)
        if building is None or building.community_id != vote.community_id:
            raise NotFound(_("找不到该楼栋"))
        room = room.strip().removesuffix("室")
        owners = list(session.execute(
            select(Ownership.person_id).join(Unit, Unit.id == Ownership.unit_id)
            .where(Unit.building_id == building.id, Unit.room == room).order_by(Ownership.person_id)).scalars())
        require(vote.can_enter_paper(actor, building) or actor.person_id in owners,
                _("只有主持人或本楼楼组长可以打印本楼的委托书"))
        if not owners:
            raise NotFound(_("%(unit)s没有登记的业主", unit=f"{building.name}{room}室"))
        voter = owner_voter(session, vote, owners[0])
        if voter is None:
            raise NotFound(_("%(unit)s的业主不在本次表决的业主名册中", unit=f"{building.name}{room}室"))
        person_ids = list(voter.person_ids)
    elif actor.person_id is not None:
        voter = owner_voter(session, vote, actor.person_id)
        person_ids = list(voter.person_ids) if voter is not None else []
    if not person_ids:
        return AuthorisationSheet()
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(person_ids))).all())
    units = session.execute(
        select(Building.name, Unit.room).join(Unit, Unit.building_id == Building.id)
        .join(Ownership, Ownership.unit_id == Unit.id)
        .where(Ownership.person_id.in_(person_ids), Building.community_id == vote.community_id)
        .distinct().order_by(Building.name, Unit.room)
    ).all()
    return AuthorisationSheet("、".join(names[p] for p in person_ids if p in names),
                              "、".join(f"{b}{r}室" for b, r in units))


def detail_context(session: Session, user: User, vote: Vote, ballot: Ballot | None) -> dict:
    """What the vote page shows of proxies: the owner's own (given), those the user holds, the owner's receipt."""
    if vote.basis != VoteBasis.OWNER:
        return {"proxies_given": [], "proxies_held": [], "proxy_receipt": None, "proxies_on": False}
    given, held = my_proxies(session, user, vote)
    return {"proxies_given": given, "proxies_held": held, "proxy_receipt": owner_receipt(vote, ballot),
            "proxies_on": True}
