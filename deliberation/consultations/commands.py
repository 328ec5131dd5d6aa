"""`flask outbox send`: the old name of `flask jobs send` (send what is pending now); `flask reminders send`:
the reminders and scheduled notices now due (both e.g. from cron)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

outbox_group = AppGroup("outbox", help="Notifications waiting to be sent (发件箱); same as `flask jobs send`.")


@outbox_group.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many messages.")
@click.pass_context
def send(ctx: click.Context, limit: int) -> None:
    """Send the pending e-mails and SMS now; failures are retried with growing waits, then marked failed."""
    from deliberation.jobs.commands import send as jobs_send

    ctx.invoke(jobs_send, limit=limit)


reminders_group = AppGroup("reminders", help="Reminders before votes and surveys close, and scheduled notices (提醒).")


@reminders_group.command("send")
def send_reminders() -> None:
    """Send the reminders and scheduled notices that are due now (every minute from a scheduler or cron)."""
    from deliberation.consultations.reminders import send_due
    from deliberation.db import utcnow
    from deliberation.extensions import db

    told = send_due(db.session, utcnow())
    db.session.commit()
    click.echo(f"已通知 {told} 人次。")
