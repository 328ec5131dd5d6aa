"""Roles of a community's members: an administrator makes an existing resident a moderator and removes
a moderator, each change audited and the person told (through ``role_listeners``).

The community is never left without anybody to run it: removing its last moderator (when it has no
administrator of its own either) is refused, and so is changing one's own role — another
administrator does that, so nobody locks themselves out by a slip of the finger.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Community, Membership, Role, User
from deliberation.errors import Conflict, Invalid, NotFound, require

logger = logging.getLogger(__name__)

# Called after a role has changed, in the same transaction: (session, actor, membership, previous role).
# Capabilities that tell people things register here (consultations.notifications), so that accounts
# imports none of them.
role_listeners: list[Callable[[Session, User, Membership, Role], None]] = []

# The changes this module makes: what a member is now → what they become.
CHANGES = {Role.RESIDENT: Role.MODERATOR, Role.MODERATOR: Role.RESIDENT}


def membership_of(session: Session, community: Community, user_id: int) -> Membership:
    """A member of the community by user id; 404 for anyone else."""
    membership = session.execute(
        select(Membership).where(Membership.community_id == community.id, Membership.user_id == user_id)
    ).scalar()
    if membership is None:
        raise NotFound(_("找不到该成员"))
    return membership


def runners_left(session: Session, community: Community, without: Membership) -> int:
    """How many members would still run the community (moderators and its administrators) without one."""
    return session.execute(
        select(func.count(Membership.id)).where(
            Membership.community_id == community.id, Membership.id != without.id,
            Membership.role.in_([Role.MODERATOR, Role.ADMIN]))
    ).scalar() or 0


def change_role(session: Session, actor: User, community: Community, membership: Membership,
                role: Role) -> Membership:
    """Make a resident a moderator (role=MODERATOR) or a moderator a resident again (role=RESIDENT)."""
    require(community.can_view(actor), _("找不到该居民区"), hidden=True)
    require(community.can_manage_roles(actor), _("只有管理员可以任命或撤销主持人"))
    if membership.community_id != community.id:
        raise NotFound(_("找不到该成员"))
    if membership.user_id == actor.id:
        raise Conflict(_("不能更改自己的角色，请另一位管理员操作"), fields={"role": _("不能更改自己的角色")})
    previous = membership.role
    if role not in CHANGES.values():
        raise Invalid(_("请选择“主持人”或“居民”"), fields={"role": _("请选择“主持人”或“居民”")})
    if previous == role:
        raise Conflict(_("%(name)s 已经是%(role)s", name=membership.user.display_name, role=role_title(role)))
    if CHANGES.get(previous) != role:
        raise Conflict(_("%(name)s 是%(role)s，这里不能更改其角色", name=membership.user.display_name,
                         role=role_title(previous)))
    if previous == Role.MODERATOR and runners_left(session, community, membership) == 0:
        raise Conflict(_("%(name)s 是本居民区唯一的主持人，请先任命另一位主持人再撤销",
                         name=membership.user.display_name))
    membership.role = role
    session.flush()
    audit.record(session, actor, "membership.role", membership, community_id=community.id,
                 user_id=membership.user_id, role=role.value, previous=previous.value)
    logger.info("role of user %s in community %s: %s -> %s, by %s", membership.user_id, community.id,
                previous.value, role.value, actor.id)
    for listener in role_listeners:
        listener(session, actor, membership, previous)
    return membership


def role_title(role: Role) -> str:
    """What a role is called, in the reader's language."""
    return {Role.RESIDENT: _("居民"), Role.MODERATOR: _("主持人"), Role.ADMIN: _("管理员")}[role]
