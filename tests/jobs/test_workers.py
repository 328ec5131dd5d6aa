"""The queue on the real Redis: two worker processes given the same delivery send it once, a failure is
retried after its wait through RQ's scheduler, the scheduler's minute is enqueued once."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from sqlalchemy import select

from deliberation.consultations.notifications import notify
from deliberation.db import utcnow
from deliberation.jobs import deliver, periodic
from deliberation.jobs import queue as job_queue
from deliberation.jobs.models import Delivery, DeliveryStatus

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def on_redis(app, redis_url):
    app.config["REDIS_URL"] = redis_url
    connection = redis.Redis.from_url(redis_url)
    connection.flushdb()
    yield connection
    connection.flushdb()
    connection.close()


def _delivery(session) -> Delivery:
    session.rollback()
    return session.execute(select(Delivery)).scalar_one()


def _env(app, database_uri: str, tmp_path: Path) -> dict:
    return os.environ | {"DATABASE_URL": database_uri, "REDIS_URL": app.config["REDIS_URL"],
                         "SMS_URL": app.config["SMS_URL"], "SECRET_KEY": "k", "AUDIT_KEY": "a",
                         "AUDIT_ANCHOR_FILE": str(tmp_path / "anchor.json")}


def _worker(env: dict) -> subprocess.Popen:
    """A worker process that works off the queue and stops (in a process of its own: an RQ worker in the
    test's process leaves its pub/sub thread behind for up to a minute)."""
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "deliberation", "jobs", "worker", "--burst"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def test_two_worker_processes_given_the_same_delivery_send_it_once(app, session, on_redis, sms_provider, texting,
                                                                   database_uri, tmp_path):
    notify(session, [texting.id], "vote", "投票开始了", "/votes/1")
    session.commit()  # the delivery's job is enqueued once the notification is committed
    delivery = _delivery(session)
    queue = job_queue.rq_queue(app)
    queue.enqueue(deliver.SEND_DELIVERY, delivery.id)  # and the same delivery once more, as a lost job's sweep would
    assert queue.count == 2
    session.remove()
    env = _env(app, database_uri, tmp_path)
    workers = [_worker(env), _worker(env)]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert [w.returncode for w in workers] == [0, 0], outputs
    assert sms_provider.received == [{"to": "13800138000", "text": "【议事平台】投票开始了 /votes/1"}]
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.SENT, 1)
    assert queue.count == 0


def test_a_failed_send_is_retried_after_its_wait(app, session, on_redis, sms_provider, texting, database_uri, tmp_path):
    app.config["DELIVER_AFTER_COMMIT"] = False
    sms_provider.status = 500
    notify(session, [texting.id], "vote", "投票开始了", "/votes/1")
    session.commit()
    delivery = _delivery(session)
    queue = job_queue.rq_queue(app)
    queue.enqueue(deliver.SEND_DELIVERY, delivery.id)
    session.remove()
    before = utcnow()
    worker = _worker(_env(app, database_uri, tmp_path))
    output = worker.communicate(timeout=120)[0]
    assert worker.returncode == 0, output
    delivery = _delivery(session)
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.PENDING, 1, "SmsError: HTTP 500")
    assert before + timedelta(seconds=59) <= delivery.due_at <= utcnow() + timedelta(seconds=61)
    assert len(queue.scheduled_job_registry.get_job_ids()) == 1  # enqueued again after its wait

    sms_provider.status = 200
    session.remove()
    later = delivery.due_at + timedelta(seconds=1)
    assert deliver.send_one(session, delivery.id, later) == (deliver.Outcome.SENT, None)
    assert len(sms_provider.received) == 1
    assert deliver.send_one(session, delivery.id, later)[0] == deliver.Outcome.SKIPPED  # the retry job: sent already


def test_a_minute_is_enqueued_once_however_many_schedulers_run(app, session, on_redis):
    now = utcnow()
    assert periodic.schedule_once(app, session, now) is True
    assert periodic.schedule_once(app, session, now) is False  # a second scheduler, the same minute
    assert periodic.schedule_once(app, session, now + timedelta(minutes=1)) is True
    assert job_queue.rq_queue(app).count == 2
