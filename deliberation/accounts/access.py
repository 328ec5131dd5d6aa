"""Loading objects for a user: one place that answers 404 for what the user may not see."""

from __future__ import annotations

from flask_babel import gettext as _

from deliberation.accounts.models import Community, User
from deliberation.errors import Forbidden, NotFound
from deliberation.extensions import db


def community_or_404(community_id: int, user: User, *, moderate: bool = False) -> Community:
    """The community if the user belongs to it (404 otherwise); with moderate, 403 for residents."""
    community = db.session.get(Community, community_id)
    if community is None or not community.can_view(user):
        raise NotFound(_("找不到该居民区"))
    if moderate and not community.can_moderate(user):
        raise Forbidden(_("只有本居民区的主持人可以进行此操作"))
    return community

