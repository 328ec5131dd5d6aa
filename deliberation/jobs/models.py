"""Deliveries: one row per message that leaves the site (a notification or a day's digest, to one user, by
one channel), with its state, attempts and last error."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from deliberation.accounts.models import User, enum_column
from deliberation.db import UTCDateTime, intpk, str200, timestamp, timestamp_null, utcnow
from deliberation.extensions import db


class Channel(enum.StrEnum):
    EMAIL = "email"
    SMS = "sms"
    DIGEST = "digest"  # an item held for the day's digest; the digest itself goes out by e-mail or SMS

    @property
    def title(self) -> str:
        return str(_CHANNEL_TITLES[self])


_CHANNEL_TITLES = {Channel.EMAIL: _l("电子邮件"), Channel.SMS: _l("短信"), Channel.DIGEST: _l("每日汇总")}


class DeliveryStatus(enum.StrEnum):
    HELD = "held"  # waiting for the day's digest
    PENDING = "pending"  # to be sent at due_at
    SENDING = "sending"  # claimed by one worker
    SENT = "sent"
    FAILED = "failed"  # MAX_ATTEMPTS attempts failed; a moderator may try again
    DIGESTED = "digested"  # held, then sent inside a digest

    @property
    def title(self) -> str:
        return str(_STATUS_TITLES[self])


_STATUS_TITLES = {
    DeliveryStatus.HELD: _l("等待每日汇总"), DeliveryStatus.PENDING: _l("待发送"),
    DeliveryStatus.SENDING: _l("发送中"), DeliveryStatus.SENT: _l("已发送"),
    DeliveryStatus.FAILED: _l("发送失败"), DeliveryStatus.DIGESTED: _l("已并入每日汇总"),
}


class Delivery(db.Model):
    """One message to one user by one channel. `key` names what it carries (``n<notification>:<channel>``,
    ``digest:<day>:<user>:<channel>``): unique, so the same message is never queued twice."""

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_status_due", "status", "due_at"),)
    id: Mapped[intpk]
    key: Mapped[str] = mapped_column(String(80), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[Channel] = enum_column(Channel)
    address: Mapped[str] = mapped_column(String(254), default="")
    subject: Mapped[str200] = mapped_column(default="")
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[DeliveryStatus] = enum_column(DeliveryStatus, default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(String(500), default="", server_default="")
    created_at: Mapped[timestamp]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[timestamp_null]

    user: Mapped[User] = relationship()
