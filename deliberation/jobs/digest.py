"""The daily digest: for users who chose it, the notifications of one day in one message, sent the next
morning (DIGEST_HOUR, Asia/Shanghai) by e-mail and/or SMS as they chose.

Items wait as held deliveries (deliver.queue). Each run gathers the held items of every day before today
into one digest per user, day and channel; the digest's key (``digest:<day>:<user>:<channel>``) is unique
and the items turn from held to digested with a conditional UPDATE in the same transaction, so a second
run — or a second scheduler — adds nothing: a day's items are in one digest, once. Today's items wait for
tomorrow's digest.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from deliberation.jobs import periodic
from deliberation.jobs.deliver import delivery_values, insert_rows, recipients, smtp_configured
from deliberation.jobs.models import Channel, Delivery, DeliveryStatus

LOCAL = ZoneInfo("Asia/Shanghai")
DIGEST_HOUR = 8


def local_midnight(now: datetime) -> datetime:
    """The start of `now`'s day in Shanghai, in UTC."""
    return datetime.combine(now.astimezone(LOCAL).date(), time(0), LOCAL).astimezone(UTC)


@periodic.task("deliveries.digest")
def send_digests(session: Session, now: datetime, hour: int = DIGEST_HOUR) -> int:
    """Digests of every day before today still held (from `hour` o'clock on); returns how many were queued."""
    if now.astimezone(LOCAL).hour < hour:
        return 0
    held = session.execute(
        select(Delivery.id, Delivery.user_id, Delivery.subject, Delivery.body, Delivery.created_at)
        .where(Delivery.status == DeliveryStatus.HELD, Delivery.created_at < local_midnight(now))
        .order_by(Delivery.user_id, Delivery.created_at, Delivery.id)
    ).all()
    if not held:
        return 0
    days: dict[tuple[int, date], list] = defaultdict(list)
    for item in held:
        days[(item.user_id, item.created_at.astimezone(LOCAL).date())].append(item)
    people = recipients(session, {user_id for user_id, _day in days})
    smtp = smtp_configured()
    values = []
    for (user_id, day), items in days.items():
        person = people.get(user_id)
        for channel, address in person.channels(smtp) if person else []:
            subject, body = _words(day, items, channel)
            values.append(delivery_values(f"digest:{day.isoformat()}:{user_id}:{channel}", user_id, channel,
                                          address, subject, body))
    queued = insert_rows(session, values)
    session.execute(
        update(Delivery).where(Delivery.id.in_([item.id for item in held]), Delivery.status == DeliveryStatus.HELD)
        .values(status=DeliveryStatus.DIGESTED)
    )
    return len(queued)


def _words(day: date, items: list, channel: Channel) -> tuple[str, str]:
    when = _("%(month)d月%(day)d日", month=day.month, day=day.day)
    subject = ngettext("【议事平台】%(day)s 的消息汇总（%(num)d 条）", "【议事平台】%(day)s 的消息汇总（%(num)d 条）",
                       len(items), day=when)
    if channel == Channel.SMS:
        return subject, subject + _("，请登录议事平台查看。")
    return subject, "\n\n".join(f"{number}. {item.body}" for number, item in enumerate(items, 1))
