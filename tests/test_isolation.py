"""The suite's own isolation: a test that leaves a thread or a connection behind is caught, and each
pytest-xdist worker has databases of its own."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from tests import conftest
from tests.conftest import _connections_left, _per_worker_database, _per_worker_redis, _threads_still_running


def test_a_thread_left_running_is_reported_until_it_ends():
    before = set(threading.enumerate())
    release = threading.Event()
    thread = threading.Thread(target=release.wait, name="left-behind")
    thread.start()
    try:
        assert _threads_still_running(before, time.monotonic() + 0.3) == [thread]
    finally:
        release.set()
        thread.join()
    assert _threads_still_running(before, time.monotonic()) == []


def test_a_connection_left_open_is_reported_and_ended(migrated_database, is_postgres):
    if not is_postgres:
        pytest.skip("connections are counted on PostgreSQL; a SQLite test has a file of its own")
    engine = create_engine(migrated_database)
    left_open = engine.connect()
    left_open.execute(text("SELECT 1"))
    try:
        problems = _connections_left(migrated_database, time.monotonic() + 0.5)
        assert len(problems) == 1 and "database connections still open" in problems[0]
        with pytest.raises(DBAPIError):  # ended, so the next test's clean-up cannot wait on it
            left_open.execute(text("SELECT 1"))
    finally:
        left_open.invalidate()
        engine.dispose()
    assert _connections_left(migrated_database, time.monotonic()) == []


@pytest.mark.parametrize(("worker", "database", "redis"), [
    pytest.param("", "postgresql://postgres@127.0.0.1:5432/test", "redis://127.0.0.1:6379/15", id="no_xdist"),
    pytest.param("gw0", "postgresql://postgres@127.0.0.1:5432/test_gw0", "redis://127.0.0.1:6379/15", id="gw0"),
    pytest.param("gw1", "postgresql://postgres@127.0.0.1:5432/test_gw1", "redis://127.0.0.1:6379/14", id="gw1"),
])
def test_each_worker_has_databases_of_its_own(monkeypatch, worker, database, redis):
    monkeypatch.setattr(conftest, "WORKER", worker)
    monkeypatch.setattr(conftest, "WORKER_NUMBER", int(worker.removeprefix("gw") or 0))
    assert _per_worker_database("postgresql://postgres@127.0.0.1:5432/test") == database
    assert _per_worker_redis("redis://127.0.0.1:6379/15") == redis
