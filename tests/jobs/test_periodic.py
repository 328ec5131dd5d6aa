"""The scheduler's minute without Redis (the embedded default): registered tasks run, each alone; due
deliveries are sent in the scheduler's own process."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from deliberation.consultations.notifications import notify
from deliberation.db import utcnow
from deliberation.jobs import deliver, periodic
from deliberation.jobs.models import Delivery, DeliveryStatus


def test_capabilities_register_their_periodic_work(app):
    assert {"votes.schedule", "deliveries.digest"} <= set(periodic.tasks)


def test_a_failing_task_does_not_stop_the_others_and_due_deliveries_are_sent(app, session, sms_provider, texting,
                                                                            monkeypatch):
    app.config["DELIVER_AFTER_COMMIT"] = False  # left for the scheduler, as after a restart
    app.config["SITE_URL"] = "https://yishi.example.org"
    ran = []

    def broken(session, now):
        raise RuntimeError("broken task")

    monkeypatch.setattr(periodic, "tasks", {"a.broken": broken, "b.counts": lambda s, now: ran.append(now) or 1})
    notify(session, [texting.id], "vote", "投票开始了", "/votes/1")
    session.commit()
    now = utcnow() + timedelta(seconds=1)
    done = periodic.tick(app, session, now)
    assert done == {"a.broken": "error", "b.counts": 1, "interrupted": 0, "deliveries": 1}
    assert ran == [now]
    assert sms_provider.received == [{"to": "13800138000",
                                      "text": "【议事平台】投票开始了 https://yishi.example.org/votes/1"}]
    assert session.execute(select(Delivery.status)).scalar_one() == DeliveryStatus.SENT
    assert periodic.tick(app, session, now)["deliveries"] == 0  # nothing twice
    assert len(sms_provider.received) == 1


def test_without_redis_the_scheduler_runs_the_minute_itself(app, session, monkeypatch):
    ran = []
    monkeypatch.setattr(periodic, "tasks", {"x": lambda s, now: ran.append(now)})
    now = utcnow()
    assert periodic.schedule_once(app, session, now) is True
    assert ran == [now]


def test_a_delivery_left_sending_by_a_stopped_worker_is_marked_failed_not_sent_again(app, session, texting):
    app.config["DELIVER_AFTER_COMMIT"] = False
    notify(session, [texting.id], "vote", "投票开始了", "/votes/1")
    session.commit()
    delivery_id = session.execute(select(Delivery.id)).scalar_one()
    began = utcnow()
    assert deliver.claim(session, delivery_id, began)  # and then the worker was killed
    assert deliver.fail_interrupted(session, began + timedelta(minutes=14)) == 0
    assert deliver.fail_interrupted(session, began + timedelta(minutes=16)) == 1
    session.commit()
    delivery = session.get(Delivery, delivery_id)
    session.refresh(delivery)
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 1)
    assert "Interrupted" in delivery.last_error
