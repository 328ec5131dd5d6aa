"""Periodic work: a registry capabilities add their tasks to, and the scheduler's minute (`tick`).

A task is `fn(session, now)`; it may write and returns a count. Capabilities register theirs where they
are defined (`@periodic.task("votes.schedule")` in voting.awaiting), so nothing here imports upward.
Each task runs in a transaction of its own: one failing is logged and the others still run. After the
tasks, the pending deliveries whose time has come are dispatched (lost jobs, retries).

`flask jobs scheduler` calls `tick` once a minute: through the queue where REDIS_URL is set (a Redis key
per minute lets only one of several schedulers enqueue it), in its own process otherwise.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime

from flask import Flask
from sqlalchemy.orm import Session, scoped_session

from deliberation.db import utcnow

logger = logging.getLogger(__name__)

Task = Callable[[Session, datetime], object]
tasks: dict[str, Task] = {}


def task(name: str) -> Callable[[Task], Task]:
    """Register `fn(session, now)` to run every minute under this name (registering again replaces it)."""
    def register(fn: Task) -> Task:
        tasks[name] = fn
        return fn
    return register


def tick(app: Flask, session: Session, now: datetime | None = None) -> dict:
    """Run every registered task, each committed alone, then dispatch the due deliveries."""
    from deliberation.jobs import deliver

    now = now or utcnow()
    done: dict = {}
    for name, fn in list(tasks.items()):
        try:
            done[name] = fn(session, now)
            session.commit()
        except Exception:
            session.rollback()
            logger.exception("jobs: periodic task %s failed", name)
            done[name] = "error"
    done["interrupted"] = deliver.fail_interrupted(session, now)
    ids = deliver.due_ids(session, now)
    session.commit()
    if ids:
        if app.config.get("REDIS_URL"):
            deliver.dispatch(app, ids)
        else:
            for delivery_id in ids:
                deliver.send_one(session, delivery_id)
    done["deliveries"] = len(ids)
    return done


def minute_key(now: datetime) -> str:
    return "deliberation:tick:" + now.strftime("%Y%m%d%H%M")


def schedule_once(app: Flask, session: Session, now: datetime | None = None) -> bool:
    """This minute's tick: enqueued once across schedulers (Redis), or run here (no Redis)."""
    now = now or utcnow()
    if not app.config.get("REDIS_URL"):
        tick(app, session, now)
        return True
    from deliberation.jobs import queue

    if not queue.connection(app).set(minute_key(now), "1", nx=True, ex=300):
        return False  # another scheduler has this minute
    queue.enqueue(app, "deliberation.jobs.tasks.run_tick")
    return True


def run_forever(app: Flask, session: scoped_session, interval: float = 60) -> None:  # pragma: no cover (a loop)
    """The scheduler process: one tick at the start of every minute, until stopped."""
    while True:
        try:
            schedule_once(app, session)
            session.commit()
        except Exception:
            logger.exception("jobs: scheduling failed")
            session.rollback()
        finally:
            session.remove()
        time.sleep(interval - time.time() % interval)
