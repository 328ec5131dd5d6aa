"""The job queue: RQ on REDIS_URL, or this process when there is no Redis (the embedded default).

Jobs are named by their function's import path (`deliberation.jobs.tasks.…`), so this module imports
none of them. With REDIS_URL set, each delivery is one RQ job (`tasks.send_delivery`) on the queue QUEUE_NAME, run by
`flask jobs worker`; a retry is enqueued again after its wait (the worker runs RQ's scheduler for
`enqueue_in`). Without it, deliveries are sent by a thread of the web process after the response has
gone out, and `flask jobs scheduler` runs the periodic work itself instead of enqueueing it.
Either way the scheduler's minute sweep sends whatever is pending and due, so a job lost with a
restarted Redis or process only waits a minute.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask, after_this_request, has_request_context

QUEUE_NAME = "deliberation"


def connection(app: Flask):
    import redis

    return redis.Redis.from_url(app.config["REDIS_URL"])


def rq_queue(app: Flask):
    from rq import Queue

    return Queue(app.config.get("JOBS_QUEUE", QUEUE_NAME), connection=connection(app))


def enqueue(app: Flask, function: str, *args) -> None:
    """Enqueue one job by the import path of its function (so this module imports none of them)."""
    rq_queue(app).enqueue(function, *args)


def enqueue_each(app: Flask, function: str, values: list) -> None:
    """One job per value, in one round trip."""
    queue = rq_queue(app)
    with queue.connection.pipeline() as pipe:
        for value in values:
            queue.enqueue(function, value, pipeline=pipe)
        pipe.execute()


def enqueue_in(app: Flask, wait: timedelta, function: str, *args) -> None:
    """Enqueue a job after a wait (RQ's scheduler, run by the worker, moves it to the queue)."""
    rq_queue(app).enqueue_in(wait, function, *args)


def after_response(start: Callable[[], None]) -> None:
    """Run `start` once the response has gone out (at once outside a request)."""
    if has_request_context():
        try:
            @after_this_request
            def _on_close(response):
                response.call_on_close(start)
                return response
        except (AssertionError, RuntimeError):  # the response is already being made
            start()
        return
    start()
