"""What was sent and what failed, for a community's moderators: the list, one delivery, trying again."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import Select, exists, select
from sqlalchemy.orm import Session, joinedload

from deliberation import audit
from deliberation.accounts.models import Community, Membership, User
from deliberation.db import utcnow
from deliberation.errors import Conflict, NotFound, require
from deliberation.jobs.deliver import mark_for_dispatch
from deliberation.jobs.models import Delivery, DeliveryStatus

SHOWN = (DeliveryStatus.PENDING, DeliveryStatus.SENDING, DeliveryStatus.SENT, DeliveryStatus.FAILED)


def _member_of(community: Community):
    return exists().where(Membership.user_id == Delivery.user_id, Membership.community_id == community.id)


def deliveries_of(community: Community, status: DeliveryStatus | None = None) -> Select:
    """The deliveries to the community's members, newest first (items held for a digest left out)."""
    stmt = (
        select(Delivery).options(joinedload(Delivery.user).load_only(User.display_name))
        .where(_member_of(community), Delivery.status.in_([status] if status else SHOWN))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
    )
    return stmt


def delivery_or_404(session: Session, community: Community, delivery_id: int) -> Delivery:
    """One delivery to a member of this community; any other answers 404."""
    delivery = session.execute(
        select(Delivery).where(Delivery.id == delivery_id, _member_of(community))
    ).scalar_one_or_none()
    if delivery is None:
        raise NotFound(_("找不到该发送记录"))
    return delivery


def retry(session: Session, actor: User, community: Community, delivery: Delivery) -> Delivery:
    """Send a failed delivery again (a moderator's decision, audited): pending now, attempts from zero."""
    require(community.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if delivery.status != DeliveryStatus.FAILED:
        raise Conflict(_("只有发送失败的消息可以重新发送"))
    delivery.status = DeliveryStatus.PENDING
    delivery.attempts = 0
    delivery.due_at = utcnow()
    audit.record(session, actor, "delivery.retry", delivery, community_id=community.id,
                 channel=str(delivery.channel), last_error=delivery.last_error)
    session.flush()
    mark_for_dispatch(session, [delivery.id])
    return delivery
