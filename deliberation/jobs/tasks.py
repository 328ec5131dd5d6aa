"""The functions RQ runs (by import path): they find the app, send or tick, and leave a clean session.

A worker started by `flask jobs worker` runs them inside the app's context; anywhere else (RQ's own
`rq worker`) they build the app once from the environment.
"""

from __future__ import annotations

import logging
from contextlib import contextmanager

from flask import Flask, current_app, has_app_context

logger = logging.getLogger(__name__)
_app: Flask | None = None


@contextmanager
def _context():
    global _app
    if has_app_context():
        yield current_app._get_current_object()
        return
    if _app is None:
        from deliberation import create_app

        _app = create_app()
    with _app.app_context():
        yield _app


def send_delivery(delivery_id: int) -> str:
    """Send one delivery if this worker claims it; schedule its retry after a failure."""
    from deliberation.extensions import db
    from deliberation.jobs import queue
    from deliberation.jobs.deliver import SEND_DELIVERY, Outcome, send_one

    with _context() as app:
        try:
            outcome, wait = send_one(db.session, delivery_id)
        finally:
            db.session.remove()
        if outcome == Outcome.RETRY and wait is not None:
            try:
                queue.enqueue_in(app, wait, SEND_DELIVERY, delivery_id)
            except Exception:  # the scheduler's sweep finds the row once it is due
                logger.exception("jobs: could not schedule the retry of delivery %s", delivery_id)
        return outcome


def run_tick() -> dict:
    """The scheduler's minute: the periodic tasks, then the sweep of due deliveries."""
    from deliberation.extensions import db
    from deliberation.jobs.periodic import tick

    with _context() as app:
        try:
            return tick(app, db.session)
        finally:
            db.session.remove()
