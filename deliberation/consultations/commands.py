"""`flask outbox send`: the old name of `flask jobs send` (send what is pending now, e.g. from cron)."""

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
