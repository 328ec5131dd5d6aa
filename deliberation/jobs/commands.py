"""`flask jobs worker | scheduler | send`: the queue's worker, the minute scheduler, sending now."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

jobs_group = AppGroup("jobs", help="Background jobs: deliveries, digests, scheduled work (后台任务).")


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Run the jobs waiting now, then stop.")
def worker(burst: bool) -> None:
    """Run an RQ worker inside the app (REDIS_URL required), with RQ's scheduler for retries."""
    from rq import SimpleWorker

    from deliberation.jobs import queue

    app = current_app._get_current_object()
    if not app.config.get("REDIS_URL"):
        raise click.ClickException("未设置 REDIS_URL：没有队列可处理（发送在网站进程内进行）。")
    # SimpleWorker runs jobs in this process, inside the app context the command runs in: no fork per
    # job, so the database pool and the app are built once.
    SimpleWorker([queue.rq_queue(app)], connection=queue.connection(app)).work(burst=burst, with_scheduler=True)


@jobs_group.command("scheduler")
@click.option("--once", is_flag=True, help="This minute's work only, then stop (e.g. from cron).")
def scheduler(once: bool) -> None:
    """Every minute: scheduled openings and closings, reminders, digests, the sweep of due deliveries."""
    from deliberation.extensions import db
    from deliberation.jobs import periodic

    app = current_app._get_current_object()
    if once:
        periodic.schedule_once(app, db.session)
        db.session.commit()
        return
    periodic.run_forever(app, db.session)


@jobs_group.command("send")
@click.option("--limit", default=200, show_default=True, help="At most this many messages.")
def send(limit: int) -> None:
    """Send the pending deliveries that are due, in this process."""
    from deliberation.db import utcnow
    from deliberation.extensions import db
    from deliberation.jobs import deliver

    ids = deliver.due_ids(db.session, utcnow(), limit)
    db.session.commit()
    outcomes = [deliver.send_one(db.session, delivery_id)[0] for delivery_id in ids]
    failed = outcomes.count(deliver.Outcome.RETRY) + outcomes.count(deliver.Outcome.FAILED)
    click.echo(f"已发送 {outcomes.count(deliver.Outcome.SENT)} 条，失败 {failed} 条。")
