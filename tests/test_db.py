"""The database layer: SQLite writers wait in line, and a commit that keeps what it wrote."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from sqlalchemy import event, select

from deliberation.accounts.models import Community
from deliberation.db import commit_as_written
from deliberation.extensions import db


@pytest.fixture
def sqlite_only(is_postgres):
    if is_postgres:
        pytest.skip("SQLite's writer queue")


def _locked_elsewhere(path: str) -> bool:
    """Whether another open file description holds the flock (as another process would see it)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def test_a_write_transaction_holds_the_processes_lock_until_commit_or_rollback(app, sqlite_only):
    path = f"{db.engine.url.database}-writers"
    db.session.add(Community(name="排队小区"))
    db.session.flush()
    assert _locked_elsewhere(path), "another process could write now"
    db.session.commit()
    assert not _locked_elsewhere(path), "the lock outlived the commit"

    db.session.add(Community(name="回滚小区"))
    db.session.flush()
    assert _locked_elsewhere(path)
    db.session.rollback()
    assert not _locked_elsewhere(path), "the lock outlived the rollback"
    db.session.remove()


def test_writers_of_one_process_wait_in_line_not_in_sqlite(app, sqlite_only):
    """With SQLite's busy timeout at zero, a writer that met the write lock inside SQLite would fail
    at once ("database is locked"): every write succeeding shows the threads waited in the queue."""
    names = [f"并发小区 {n}" for n in range(12)]
    failures: list[Exception] = []

    def no_busy_wait(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=0")

    db.engine.dispose()
    event.listen(db.engine, "connect", no_busy_wait)

    def write(name: str) -> None:
        with app.app_context():
            try:
                db.session.add(Community(name=name))
                db.session.flush()
                time.sleep(0.01)  # inside the transaction, so that the others have to wait
                db.session.commit()
            except Exception as error:  # noqa: BLE001 -- collected and asserted below
                failures.append(error)
            finally:
                db.session.remove()

    try:
        threads = [threading.Thread(target=write, args=(name,)) for name in names]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    finally:
        event.remove(db.engine, "connect", no_busy_wait)
        db.engine.dispose()
    assert failures == []
    stored = set(db.session.execute(select(Community.name).where(Community.name.like("并发小区%"))).scalars())
    assert stored == set(names)


def test_commit_as_written_answers_from_memory(app):
    community = Community(name="照写小区", district="长宁区")
    db.session.add(community)
    db.session.flush()
    statements = []
    listener = lambda *args: statements.append(args[2])  # noqa: E731
    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        commit_as_written(db.session)
        assert (community.name, community.district, community.id) == ("照写小区", "长宁区", community.id)
        assert statements == [], "the committed object was read back"
        db.session.commit()  # later commits expire as usual
        assert community.name == "照写小区"
        assert statements, "a plain commit should expire the object"
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)
