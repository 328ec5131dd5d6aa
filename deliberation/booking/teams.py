"""Registered teams (dance teams, classes, partner shops) and the members who may book for them."""

from __future__ import annotations

from collections.abc import Iterable

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Community, Membership, User
from deliberation.booking.models import Team, TeamMember
from deliberation.errors import Conflict, Invalid, NotFound, require


def teams_of(session: Session, user: User, community_id: int) -> list[Team]:
    """The registered teams of a community the user belongs to."""
    return list(session.execute(
        select(Team).join(TeamMember, TeamMember.team_id == Team.id)
        .where(Team.community_id == community_id, TeamMember.user_id == user.id).order_by(Team.name)
    ).scalars())


def community_users(session: Session, community: Community, usernames: Iterable[str],
                    field: str = "members") -> list[User]:
    """The users of a community with these user names; Invalid names the ones not found."""
    names = list(dict.fromkeys(n.strip() for n in usernames if n and n.strip()))
    if not names:
        return []
    found = {u.username: u for u in session.execute(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.community_id == community.id, User.username.in_(names))).scalars()}
    missing = [n for n in names if n not in found]
    if missing:
        message = _("本居民区没有这些用户名：%(names)s", names="、".join(missing))
        raise Invalid(message, fields={field: message})
    return [found[n] for n in names]


def register_team(session: Session, actor: User, community: Community, name: str,
                  members: Iterable[User] = ()) -> Team:
    """Register a team (dance team, class, partner shop) and its members who may book for it."""
    require(community.can_view(actor), _("找不到该居民区"), hidden=True)
    require(community.can_moderate(actor), _("只有本居民区的主持人可以管理场地"))
    name = " ".join((name or "").split())
    if not name or len(name) > 50:
        raise Invalid(_("请填写 50 字以内的团队名称"), fields={"name": _("请填写 50 字以内的团队名称")})
    if session.execute(select(Team.id).where(Team.community_id == community.id, Team.name == name)).first():
        message = _("已有名为“%(name)s”的团队", name=name)
        raise Conflict(message, fields={"name": message})
    members = list(members)
    if any(not community.can_view(m) for m in members):
        raise Invalid(_("团队成员须是本居民区的用户"), fields={"members": _("团队成员须是本居民区的用户")})
    team = Team(community_id=community.id, name=name)
    session.add(team)
    session.flush()
    member_ids = sorted({m.id for m in members})
    session.add_all(TeamMember(team_id=team.id, user_id=uid) for uid in member_ids)
    audit.record(session, actor, "team.register", team, community_id=community.id, name=name,
                 members=member_ids)
    session.flush()
    return team


def team_members(session: Session, team: Team) -> list[User]:
    """The members of a team, by user name."""
    return list(session.execute(select(User).join(TeamMember, TeamMember.user_id == User.id)
                                .where(TeamMember.team_id == team.id).order_by(User.username)).scalars())


def teams_with_members(session: Session, community: Community) -> list[tuple[Team, list[User]]]:
    """Every team of a community with its members, in two queries."""
    teams = list(session.execute(select(Team).where(Team.community_id == community.id)
                                 .order_by(Team.name)).scalars())
    members: dict[int, list[User]] = {t.id: [] for t in teams}
    if teams:
        for team_id, user in session.execute(
                select(TeamMember.team_id, User).join(User, User.id == TeamMember.user_id)
                .where(TeamMember.team_id.in_(list(members))).order_by(User.username)):
            members[team_id].append(user)
    return [(t, members[t.id]) for t in teams]


def add_team_member(session: Session, actor: User, team: Team, username: str) -> User:
    """Let a user of the community book for the team."""
    community = session.get(Community, team.community_id)
    require(community.can_view(actor), _("找不到该居民区"), hidden=True)
    require(community.can_moderate(actor), _("只有本居民区的主持人可以管理场地"))
    if not (username or "").strip():
        raise Invalid(_("请填写用户名"), fields={"username": _("请填写用户名")})
    (user,) = community_users(session, community, [username], field="username")
    if session.execute(select(TeamMember.id).where(TeamMember.team_id == team.id,
                                                   TeamMember.user_id == user.id)).first():
        message = _("%(name)s 已是“%(team)s”的成员", name=user.display_name, team=team.name)
        raise Conflict(message, fields={"username": message})
    session.add(TeamMember(team_id=team.id, user_id=user.id))
    audit.record(session, actor, "team.member_add", team, community_id=team.community_id,
                 user_id=user.id, username=user.username)
    session.flush()
    return user


def remove_team_member(session: Session, actor: User, team: Team, user_id: int) -> None:
    """Stop a user booking for the team; their existing bookings stay."""
    community = session.get(Community, team.community_id)
    require(community.can_view(actor), _("找不到该居民区"), hidden=True)
    require(community.can_moderate(actor), _("只有本居民区的主持人可以管理场地"))
    member = session.execute(select(TeamMember).where(TeamMember.team_id == team.id,
                                                      TeamMember.user_id == user_id)).scalar()
    if member is None:
        raise NotFound(_("该用户不是这个团队的成员"))
    session.delete(member)
    audit.record(session, actor, "team.member_remove", team, community_id=team.community_id, user_id=user_id)
    session.flush()
