"""Account operations: sign-in, invites, roles, communities and the roster import."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session, joinedload

from deliberation import audit
from deliberation.accounts import sessions
from deliberation.accounts.demographics import room_order
from deliberation.accounts.models import (
    ApiToken,
    Building,
    Community,
    Household,
    Invite,
    Membership,
    Ownership,
    Person,
    Role,
    RosterUpload,
    Tenure,
    Unit,
    User,
)
from deliberation.accounts.passwords import MIN_LENGTH, hash_password, needs_rehash, verify_password
from deliberation.accounts.roster import RosterReport, RosterRow
from deliberation.db import utcnow
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound

logger = logging.getLogger(__name__)

# No 0/O, 1/I/L: codes are read off paper slips and typed on small phones.
INVITE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
# How finely an API token's last use is recorded: a write at most this often per token.
API_TOKEN_USE_GRANULARITY = timedelta(minutes=5)
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,50}$")


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def normalise_invite_code(code: str) -> str:
    return re.sub(r"[^A-Z0-9]", "", (code or "").upper())


# -- sign-in -----------------------------------------------------------------------------------

def authenticate(session: Session, username: str, password: str) -> User | None:
    """The user for these credentials, or None; the same work whether the name exists or not."""
    name = (username or "").strip()
    # A name no account can have (too long, or with NUL, which PostgreSQL refuses in a query) is
    # answered as an unknown name, with the same work.
    user = None if len(name) > 50 or "\x00" in name else session.execute(
        select(User).where(User.username == name)).scalar()
    ok = verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active:
        audit.record(session, None, "auth.login_failed", username=(username or "")[:50])
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    audit.record(session, user, "auth.login", user)
    return user


def validate_new_password(password: str) -> None:
    if len(password or "") < MIN_LENGTH:
        raise Invalid(_("密码至少需要 %(n)d 个字符", n=MIN_LENGTH), fields={"password": _("密码太短")})


def create_user(session: Session, actor: User | None, username: str, password: str, display_name: str,
                *, is_admin: bool = False, person: Person | None = None) -> User:
    """A new login; the name must be free and the password long enough."""
    username = (username or "").strip()
    if not USERNAME_RE.match(username):
        raise Invalid(_("用户名需为 2–50 个字母、数字、汉字或 _ . -"), fields={"username": _("用户名格式不正确")})
    validate_new_password(password)
    if session.execute(select(User.id).where(User.username == username)).first():
        raise Conflict(_("用户名“%(name)s”已被使用", name=username), fields={"username": _("用户名已被使用")})
    user = User(username=username, display_name=(display_name or username).strip()[:50],
                password_hash=hash_password(password), is_admin=is_admin, person=person)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", user, username=username, is_admin=is_admin)
    return user


def change_password(session: Session, user: User, old_password: str, new_password: str) -> None:
    """Change the password and sign out every other session of the user."""
    if not verify_password(user.password_hash, old_password):
        raise Invalid(_("原密码不正确"), fields={"old_password": _("原密码不正确")})
    validate_new_password(new_password)
    user.password_hash = hash_password(new_password)
    rotate_session_token(session, user, reason="password_change")


def rotate_session_token(session: Session, user: User, reason: str) -> None:
    """End every sign-in and API token of the user, and the calendar feed links signed with the old
    session token (log out everywhere, a password change: ASVS 3.3.3)."""
    user.session_token = secrets.token_urlsafe(32)
    sessions.end_all(session, user)
    revoked = session.execute(delete(ApiToken).where(ApiToken.user_id == user.id)).rowcount
    audit.record(session, user, "auth.sessions_revoked", user, reason=reason, api_tokens=revoked)


def set_preferences(session: Session, user: User, *, care_mode: bool | None = None, locale: str | None = None):
    if care_mode is not None:
        user.care_mode = care_mode
    if locale is not None:
        user.locale = locale
    audit.record(session, user, "user.preferences", user, care_mode=care_mode, locale=locale)


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def set_channels(session: Session, user: User, *, email: str | None, by_email: bool, by_sms: bool,
                 digest: bool) -> User:
    """The channels by which notifications reach the user besides the site: e-mail (to the address given),
    SMS (to the phone of the user's person in the roster), and the daily digest instead of single messages.
    Refused with a message per field when a chosen channel has no address."""
    email = (email or "").strip() or None
    problems = {}
    if email and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
        problems["email"] = _("请填写有效的电子邮箱，例如 name@example.com")
    elif by_email and not email:
        problems["email"] = _("用电子邮件通知需要填写电子邮箱")
    if by_sms and not (user.person and user.person.phone):
        problems["by_sms"] = _("名册中没有您的手机号，请联系居委会登记后再选择短信")
    if digest and not (by_email or by_sms):
        problems["digest"] = _("每日汇总通过电子邮件或短信发送，请至少选择其中一种")
    if problems:
        raise Invalid(next(iter(problems.values())), fields=problems)
    user.email, user.notify_email, user.notify_sms, user.notify_digest = email, by_email, by_sms, digest
    audit.record(session, user, "user.channels", user, email=bool(email), by_email=by_email, by_sms=by_sms,
                 digest=digest)
    session.flush()
    return user


# -- API tokens --------------------------------------------------------------------------------

def issue_api_token(session: Session, user: User, lifetime: timedelta) -> str:
    plain = secrets.token_urlsafe(32)
    session.add(ApiToken(user=user, token_hash=_sha256(plain), expires_at=utcnow() + lifetime))
    audit.record(session, user, "auth.token_issued", user)
    return plain


def api_token_user(session: Session, plain: str) -> tuple[User, ApiToken] | None:
    """The active user of an unexpired token and the token, with the user's memberships, in one
    statement: every API request pays for it."""
    found = session.execute(
        select(User, ApiToken)
        .join(ApiToken, ApiToken.user_id == User.id)
        .where(ApiToken.token_hash == _sha256(plain), ApiToken.expires_at > utcnow())
        .options(joinedload(User.memberships))
    ).unique().first()
    if found is None or not found[0].is_active:
        return None
    return found[0], found[1]


def api_token_used(token: ApiToken, now=None) -> bool:
    """Whether the token's last use is worth writing down: at most once per API_TOKEN_USE_GRANULARITY."""
    now = now or utcnow()
    return token.last_used_at is None or now - token.last_used_at >= API_TOKEN_USE_GRANULARITY


def record_api_token_use(session: Session, token_id: int) -> None:
    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=utcnow()))


def api_tokens_of(session: Session, user: User) -> list[ApiToken]:
    """The user's unexpired tokens, newest first (the account page and GET /api/v1/tokens)."""
    return session.execute(
        select(ApiToken).where(ApiToken.user_id == user.id, ApiToken.expires_at > utcnow())
        .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
    ).scalars().all()


def revoke_api_token(session: Session, user: User, token_id: int) -> None:
    """Revoke one of the user's own tokens; another user's token is not found (404)."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFound(_("找不到该访问令牌"))
    session.delete(token)
    audit.record(session, user, "auth.token_revoked", user, token_id=token_id)


# -- communities and roles ---------------------------------------------------------------------

def create_community(session: Session, actor: User, name: str, district: str = "", address: str = "") -> Community:
    if not actor.is_admin:
        raise Forbidden(_("只有管理员可以创建居民区"))
    name = (name or "").strip()
    if not name:
        raise Invalid(_("请填写居民区名称"), fields={"name": _("必填")})
    if session.execute(select(Community.id).where(Community.name == name)).first():
        raise Conflict(_("居民区“%(name)s”已存在", name=name), fields={"name": _("名称已存在")})
    community = Community(name=name, district=(district or "").strip(), address=(address or "").strip())
    session.add(community)
    session.flush()
    audit.record(session, actor, "community.create", community, community_id=community.id, name=name)
    return community


def grant_role(session: Session, actor: User, community: Community, user: User, role: Role) -> Membership:
    """Give a user a role in a community; only admins make moderators and admins."""
    if role != Role.RESIDENT and not actor.is_admin and actor.role_in(community.id) != Role.ADMIN:
        raise Forbidden(_("只有管理员可以任命主持人"))
    if not community.can_moderate(actor):
        raise NotFound(_("找不到该居民区"))
    membership = session.execute(
        select(Membership).where(Membership.user_id == user.id, Membership.community_id == community.id)
    ).scalar()
    if membership is None:
        membership = Membership(user=user, community_id=community.id, role=role)
        session.add(membership)
    else:
        membership.role = role
    session.flush()
    audit.record(session, actor, "membership.grant", membership, community_id=community.id,
                 user_id=user.id, role=role.value)
    return membership


# -- invites -----------------------------------------------------------------------------------

def issue_invites(session: Session, actor: User, community: Community, persons: list[Person],
                  lifetime: timedelta) -> list[tuple[Invite, str]]:
    """One-time codes for persons of the roster; returns each invite with its plain code."""
    if not community.can_moderate(actor):
        raise Forbidden(_("只有本居民区的主持人可以发放邀请码"))
    issued = []
    for person in persons:
        if person.community_id != community.id:
            raise NotFound(_("找不到该居民"))
        code = "".join(secrets.choice(INVITE_ALPHABET) for _i in range(8))
        invite = Invite(community_id=community.id, person=person, code_hash=_sha256(code),
                        created_by_id=actor.id, expires_at=utcnow() + lifetime)
        session.add(invite)
        issued.append((invite, code))
    session.flush()
    for invite, _code in issued:
        audit.record(session, actor, "invite.issue", invite, person_id=invite.person_id)
    return issued


def home_unit(person: Person) -> Unit | None:
    """The flat an invite slip is taken to (楼号室号): where the person lives, else the first they own."""
    if person.household is not None:
        return person.household.unit
    owned = sorted((o.unit for o in person.ownerships), key=lambda unit: unit.id)
    return owned[0] if owned else None


def format_invite_code(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def find_invite(session: Session, code: str) -> Invite:
    """The usable invite for a code; used, expired and unknown codes get the same kind of answer."""
    invite = session.execute(
        select(Invite).where(Invite.code_hash == _sha256(normalise_invite_code(code)))
    ).scalar()
    if invite is None:
        raise Invalid(_("邀请码无效，请核对后重新输入"), fields={"code": _("邀请码无效")})
    if invite.used_at is not None or invite.revoked_at is not None:
        raise Invalid(_("该邀请码已被使用，请联系居委会重新发放"), fields={"code": _("邀请码已使用")})
    if invite.expires_at <= utcnow():
        raise Invalid(_("该邀请码已过期，请联系居委会重新发放"), fields={"code": _("邀请码已过期")})
    return invite


def redeem_invite(session: Session, code: str, username: str, password: str) -> User:
    """Register the invited person with a user name and password of their choosing."""
    invite = find_invite(session, code)
    person = invite.person
    if session.execute(select(User.id).where(User.person_id == person.id)).first():
        raise Conflict(_("该居民已经注册过账号，请直接登录"), fields={"code": _("已注册")})
    user = create_user(session, None, username, password, display_name=person.name, person=person)
    session.add(Membership(user=user, community_id=invite.community_id, role=Role.RESIDENT))
    invite.used_at = utcnow()
    invite.user_id = user.id
    session.flush()
    audit.record(session, user, "invite.redeem", invite, community_id=invite.community_id)
    return user


# -- roster ------------------------------------------------------------------------------------

def store_roster_upload(session: Session, actor: User, community: Community, filename: str,
                        data: bytes) -> RosterUpload:
    """Keep an uploaded roster between the dry run and the moderator's confirmation."""
    upload = RosterUpload(community_id=community.id, user_id=actor.id, filename=filename[:200], data=data)
    session.add(upload)
    session.flush()
    return upload


@dataclass
class ImportResult:
    buildings_created: int = 0
    units_created: int = 0
    persons_created: int = 0
    ownerships_created: int = 0
    areas_updated: int = 0
    rows_imported: int = 0
    rows_skipped: int = 0
    problems: list = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return any((self.buildings_created, self.units_created, self.persons_created,
                    self.ownerships_created, self.areas_updated))


def _building_sort_key(name: str) -> str:
    digits = re.match(r"\d+", name)
    return f"{int(digits.group()):06d}{name}" if digits else f"~{name}"


def import_roster(session: Session, actor: User, community: Community, report: RosterReport,
                  *, only_valid: bool = False) -> ImportResult:
    """Write the rows of a parsed roster into the community, idempotently.

    Nothing is written when the report has problems unless `only_valid` is chosen. The same file
    imported twice changes nothing: buildings, units and persons are matched, not duplicated; an
    owner listed on several units (same name and phone) is one person with several ownerships.
    """
    if not community.can_moderate(actor):
        raise Forbidden(_("只有本居民区的主持人可以导入名册"))
    if report.problems and not only_valid:
        raise Invalid(_("名册有 %(n)d 处问题，未导入任何内容", n=len(report.problems)))
    result = ImportResult(rows_skipped=len({p.line for p in report.problems}), problems=list(report.problems))
    rows: list[RosterRow] = list(report.rows)

    # Load what the community already has, once, and match in memory.
    buildings = {b.name: b for b in session.execute(
        select(Building).where(Building.community_id == community.id)).scalars()}
    units = {(name, u.room): u for u, name in session.execute(
        select(Unit, Building.name).join(Building).where(Building.community_id == community.id))}
    households = {h.unit_id: h for h in session.execute(
        select(Household).join(Unit).join(Building).where(Building.community_id == community.id)).scalars()}
    persons = session.execute(select(Person).where(Person.community_id == community.id)).scalars().all()
    ownerships = {(o.person_id, o.unit_id) for o in session.execute(
        select(Ownership).join(Person).where(Person.community_id == community.id)).scalars()}

    def person_key(name, phone, unit_id):
        return (name, phone) if phone else (name, unit_id)

    def unit_for(row: RosterRow) -> Unit:
        building = buildings.get(row.building)
        if building is None:
            building = Building(community=community, name=row.building, sort_key=_building_sort_key(row.building))
            session.add(building)
            buildings[row.building] = building
            result.buildings_created += 1
        unit = units.get((row.building, row.room))
        if unit is None:
            unit = Unit(building=building, room=row.room, staircase=row.staircase)
            session.add(unit)
            units[(row.building, row.room)] = unit
            result.units_created += 1
        elif row.staircase and unit.staircase != row.staircase:
            unit.staircase = row.staircase  # a roster with a 单元 column fills in or corrects the staircase
        return unit

    for row in rows:
        unit_for(row)
    session.flush()

    household_unit = {h.id: h.unit_id for h in households.values()}
    person_by_id = {p.id: p for p in persons}
    by_key: dict = {}
    for p in persons:
        if p.is_developer:
            by_key[(p.name, "developer")] = p
        if p.phone:
            by_key[(p.name, p.phone)] = p
        elif p.household_id:
            by_key[(p.name, household_unit.get(p.household_id))] = p
    for person_id, unit_id in ownerships:
        owner = person_by_id[person_id]
        by_key.setdefault((owner.name, unit_id), owner)

    tenanted_units = {(r.building, r.room) for r in rows if r.tenure == "tenant"}

    def household_for(unit: Unit) -> Household:
        household = households.get(unit.id)
        if household is None:
            household = Household(unit=unit)
            session.add(household)
            households[unit.id] = household
        return household

    owned: list[tuple[Person, Unit]] = []
    for row in rows:
        unit = units[(row.building, row.room)]
        # The developer is one company whatever unit it holds: known by its name alone.
        key = (row.name, "developer") if row.developer else person_key(row.name, row.phone, unit.id)
        person = by_key.get(key)
        lives_here = not row.developer and (row.tenure != "owner" or (row.building, row.room) not in tenanted_units)
        if person is None:
            person = Person(community=community, name=row.name, tenure=Tenure(row.tenure),
                            birth_year=row.birth_year, phone=row.phone, is_developer=row.developer)
            session.add(person)
            by_key[key] = person
            result.persons_created += 1
        elif row.developer and not person.is_developer:
            person.is_developer = True  # marked as the developer (建设单位) by a later roster
        if lives_here and person.household_id is None and person.household is None:
            person.household = household_for(unit)
        if row.tenure == "owner":
            if row.area is not None and unit.area != row.area:
                unit.area = row.area
                result.areas_updated += 1
            owned.append((person, unit))
        result.rows_imported += 1
    session.flush()
    for person, unit in owned:
        if (person.id, unit.id) not in ownerships:
            session.add(Ownership(person=person, unit=unit))
            ownerships.add((person.id, unit.id))
            result.ownerships_created += 1
    session.flush()
    audit.record(session, actor, "roster.import", community, community_id=community.id,
                 rows=result.rows_imported, skipped=result.rows_skipped, persons_created=result.persons_created,
                 units_created=result.units_created, ownerships_created=result.ownerships_created)
    logger.info("roster imported into community %s by user %s: %s", community.id, actor.id, result)
    return result


def units_held(session: Session, person_ids: list[int]) -> dict[int, list[str]]:
    """Every unit each of these persons owns ("3号楼302室"), in natural order: one query for a page."""
    if not person_ids:
        return {}
    held: dict[int, list[str]] = {}
    for person_id, building, room in session.execute(
        select(Ownership.person_id, Building.name, Unit.room)
        .join(Unit, Unit.id == Ownership.unit_id).join(Building, Building.id == Unit.building_id)
        .where(Ownership.person_id.in_(person_ids))
        .order_by(Ownership.person_id, Building.sort_key, *room_order(Unit.room))
    ).all():
        held.setdefault(person_id, []).append(_("%(building)s%(room)s室", building=building, room=room))
    return held


def community_counts(session: Session, community: Community) -> dict[str, int]:
    """Headline figures for a community page, each one aggregate query."""
    def count(stmt):
        return session.execute(stmt).scalar() or 0
    return {
        "buildings": count(select(func.count(Building.id)).where(Building.community_id == community.id)),
        "units": count(select(func.count(Unit.id)).join(Building).where(Building.community_id == community.id)),
        "persons": count(select(func.count(Person.id)).where(Person.community_id == community.id,
                                                             Person.household_id.is_not(None))),
        "owners": count(select(func.count(func.distinct(Ownership.person_id))).join(Person)
                        .where(Person.community_id == community.id)),
        "users": count(select(func.count(Membership.id)).where(Membership.community_id == community.id)),
    }
