"""The database layer: SQLite writers wait in line, a commit that keeps what it wrote, pooled connections
tested before use only after sitting idle, and statements run on the driver as SQLAlchemy runs them."""

from __future__ import annotations

import enum
import fcntl
import os
import threading
import time
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Enum,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    create_engine,
    event,
    exc,
    select,
    text,
    update,
)
from sqlalchemy.pool import NullPool

from deliberation.accounts.models import Community
from deliberation.db import OnDriver, UTCDateTime, commit_as_written, utcnow
from deliberation.extensions import db
from tests.statements import recorded


@pytest.fixture
def sqlite_only(is_postgres):
    if is_postgres:
        pytest.skip("SQLite's writer queue")


@pytest.fixture
def postgres_only(is_postgres):
    if not is_postgres:
        pytest.skip("a database server's connection, ended from outside")


def _pooled_backend() -> int:
    """The server process of the connection the pool hands out next; the connection goes back to the pool."""
    with db.engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def _end_backend(pid: int) -> None:
    """End a server process as a restart or a dropped idle connection would, and wait until it is gone."""
    outside = create_engine(db.engine.url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
    try:
        with outside.connect() as connection:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
            deadline = time.monotonic() + 10
            while connection.execute(text("SELECT count(*) FROM pg_stat_activity WHERE pid = :pid"),
                                     {"pid": pid}).scalar() and time.monotonic() < deadline:
                time.sleep(0.02)
    finally:
        outside.dispose()


@pytest.mark.parametrize("config_overrides", [{"DB_PING_AFTER_IDLE_S": 0}])
def test_a_pooled_connection_ended_while_idle_is_replaced_before_it_serves(app, postgres_only):
    ended = _pooled_backend()
    _end_backend(ended)
    assert _pooled_backend() not in (None, ended)


@pytest.mark.parametrize("config_overrides", [{"DB_PING_AFTER_IDLE_S": 3600}])
def test_a_connection_back_in_the_pool_a_moment_ago_is_not_tested(app, postgres_only):
    # No round trip to test it: the ended connection is handed out, its statement fails, and SQLAlchemy
    # discards the pool, so the next use connects anew.
    ended = _pooled_backend()
    _end_backend(ended)
    with pytest.raises(exc.OperationalError):
        _pooled_backend()
    assert _pooled_backend() not in (None, ended)


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


def test_a_request_that_reads_first_takes_the_lock_only_for_its_writes(app, sqlite_only):
    """db.reads_first: the reads under a plain BEGIN, outside the writers' line; a write before begin_writes is
    refused (it would meet the lock, or a stale snapshot, at its first write); begin_writes turns the read
    transaction into the write transaction on the same connection, in line."""
    from deliberation.db import WriteInReadTransaction, begin_writes, reads_first

    path = f"{db.engine.url.database}-writers"
    db.session.add(Community(name="先到小区"))
    db.session.commit()  # the writers' line has its file
    statements: list[str] = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    @reads_first
    def early_write():
        db.session.execute(select(Community.id)).all()
        db.session.add(Community(name="抢先小区"))
        db.session.flush()

    @reads_first
    def read_then_write():
        db.session.execute(select(Community.id)).all()
        held_while_reading = _locked_elsewhere(path)
        begin_writes(db.session)
        db.session.add(Community(name="后写小区"))
        db.session.flush()
        held_while_writing = _locked_elsewhere(path)
        db.session.commit()
        return held_while_reading, held_while_writing

    with pytest.raises(WriteInReadTransaction):
        early_write()
    db.session.rollback()
    event.listen(db.engine, "before_cursor_execute", listen)
    try:
        assert read_then_write() == (False, True)
    finally:
        event.remove(db.engine, "before_cursor_execute", listen)
    assert statements[0] == "BEGIN" and statements[1].startswith("SELECT"), statements
    assert statements[2:4] == ["COMMIT", "BEGIN IMMEDIATE"], statements
    assert db.session.execute(select(Community.id).where(Community.name == "后写小区")).scalar() is not None
    assert db.session.execute(select(Community.id).where(Community.name == "抢先小区")).scalar() is None
    db.session.remove()


class _Kind(enum.StrEnum):
    PROPOSAL = "proposal"
    ELECTION = "election"


_checks = MetaData()
_check = Table("driver_checks", _checks, Column("id", Integer, primary_key=True), Column("at", UTCDateTime),
               Column("facts", JSON), Column("kind", Enum(_Kind)), Column("active", Boolean), Column("name", String(20)),
               Column("stamped", UTCDateTime, default=utcnow))
_ROWS = [  # what a hot path binds and reads: aware timestamps, JSON lists and objects, enums, booleans, NULLs
    {"at": datetime(2026, 12, 3, 8, 30, 15, 123456, tzinfo=UTC), "facts": [3, 5], "kind": _Kind.PROPOSAL,
     "active": True, "name": "王阿姨", "stamped": datetime(2026, 1, 1, tzinfo=UTC)},
    {"at": datetime(2026, 12, 3, 16, 30, tzinfo=timezone(timedelta(hours=8))), "facts": {"室": "1201"},
     "kind": _Kind.ELECTION, "active": False, "name": "b", "stamped": datetime(2026, 1, 2, tzinfo=UTC)},
    {"at": None, "facts": None, "kind": None, "active": None, "name": None, "stamped": None},
]


@pytest.fixture
def check_table(app):
    _checks.create_all(db.engine)
    yield
    db.session.rollback()
    _checks.drop_all(db.engine)


def test_a_statement_on_the_driver_binds_and_reads_as_sqlalchemy_does(app, check_table):
    """db.OnDriver: the same SQL with the same parameters and the same values back as SQLAlchemy's own execution:
    the column types' processors both ways, expanding IN lists, RETURNING; the engine's listeners see it."""
    insert = OnDriver(_check.insert().returning(_check.c.id, _check.c.at))
    read = OnDriver(select(_check).where(_check.c.name.in_(bindparam("names", expanding=True))).order_by(_check.c.id))
    rename = OnDriver(update(_check).where(_check.c.kind == bindparam("was")).values(name=bindparam("new")))
    connection = db.session.connection()
    with recorded() as statements:
        ids = [insert.first(connection, row).id for row in _ROWS]
    assert [s.split()[0] for s in statements] == ["INSERT"] * 3, statements
    for n, row in enumerate(_ROWS):
        ours = read.first(connection, {"names": [row["name"]] if row["name"] else ["王阿姨", "b"]})
        theirs = connection.execute(select(_check).where(_check.c.id == ids[n])).one()
        if row["name"] is None:
            continue  # NULL is in no IN list: read by id below
        assert ours._asdict() == theirs._asdict() == {"id": ids[n], **row, "at": row["at"].astimezone(UTC)}
    assert read.first(connection, {"names": ["nobody"]}) is None
    assert ([r.id for r in connection.execute(select(_check.c.id).where(_check.c.kind.is_(None)))] == [ids[2]])
    assert rename.run(connection, {"was": _Kind.ELECTION, "new": "改名"}) == 1
    assert read.first(connection, {"names": ["改名"]}).kind is _Kind.ELECTION


def test_a_statement_on_the_driver_refuses_a_default_computed_in_python_and_raises_as_sqlalchemy(app, check_table):
    """SQLAlchemy's execution fills `stamped` with utcnow; the driver's does not, so it says so before running. A
    refused row raises SQLAlchemy's error, as SQLAlchemy's own execution would."""
    insert = OnDriver(_check.insert())
    with pytest.raises(ValueError, match="pass every value"):
        insert.run(db.session.connection(), {"name": "没有时间"})
    assert insert.run(db.session.connection(), {"id": 7, "name": "有时间", "stamped": utcnow()}) == 1
    with pytest.raises(exc.IntegrityError):
        insert.run(db.session.connection(), {"id": 7, "name": "又一个", "stamped": utcnow()})


def test_sqlite_checkpoints_after_a_writer_leaves_the_line_not_inside_its_commit(app, sqlite_only, monkeypatch):
    """SQLite's automatic checkpoint is off on the app's connections (it would run inside a COMMIT, with every
    writer waiting in line); a writer that leaves the log past CHECKPOINT_BYTES copies it into the database once back
    in the pool, and the next writer starts the log from its beginning, cutting the file to what it wrote
    (journal_size_limit): the file's length is the log's again, so the writers after it do not checkpoint until the
    log has grown past CHECKPOINT_BYTES once more."""
    import deliberation.db as database

    wal = db.engine.url.database + "-wal"
    db.engine.dispose()
    checkpoints: list[str] = []
    listener = event.listens_for(db.engine, "connect")(
        lambda connection, _record: connection.set_trace_callback(
            lambda sql: checkpoints.append(sql) if "wal_checkpoint" in sql else None))
    with db.engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0

    def write(n: int) -> int:
        db.session.add_all(Community(name=f"检查点{n}-{i}", district="长宁区") for i in range(30))
        db.session.commit()
        db.session.remove()  # the connection back in the pool, as at a request's end
        return os.stat(wal).st_size

    try:
        monkeypatch.setattr(database, "CHECKPOINT_BYTES", 1)  # every writer checkpoints
        first = write(1)
        assert checkpoints, "the writer did not checkpoint"
        second = write(2)
        assert second <= first, "the log was not started again after the checkpoint"
        monkeypatch.setattr(database, "CHECKPOINT_BYTES", 1 << 40)  # none does
        assert write(3) > second
        # Past the mark once, then forty writers of one row each: a checkpoint every few of them, not at every one.
        monkeypatch.setattr(database, "CHECKPOINT_BYTES", 4 * second)
        checkpoints.clear()
        for n in range(40):
            db.session.add(Community(name=f"一行{n}", district="长宁区"))
            db.session.commit()
            db.session.remove()
        assert 1 <= len(checkpoints) <= 20, len(checkpoints)
    finally:
        event.remove(db.engine, "connect", listener)
        db.engine.dispose()


def _add_ending_routes(app) -> None:
    """Routes that end their transaction in each way end_reading tells apart (db.end_reading)."""
    from flask import jsonify

    def read():
        db.session.execute(select(Community.name).where(Community.id == -1)).all()
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar()
        prepared = db.session.execute(text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE "
                                           "'SELECT communities.name %'")).scalar()
        return jsonify(pid=pid, prepared=prepared)

    def wrote_then_refused():  # answered without raising: what it wrote must not stay
        db.session.add(Community(name="拒后小区"))
        db.session.flush()
        return "refused", 409

    def changed_not_flushed():
        db.session.execute(select(Community).where(Community.name == "原名小区")).scalar_one().name = "改名小区"
        return "refused", 422

    def work_waiting_on_a_commit():  # as jobs.deliver's deliveries and pictures' files wait in session.info
        db.session.execute(select(Community.id)).all()
        db.session.info["waiting"] = [1]
        return "ok"

    for view in (read, wrote_then_refused, changed_not_flushed, work_waiting_on_a_commit):
        app.add_url_rule(f"/_ending/{view.__name__}", view.__name__, view)


@pytest.mark.parametrize(("route", "ends_with"), [
    ("read", "commit"),
    ("wrote_then_refused", "rollback"),
    ("changed_not_flushed", "rollback"),
    ("work_waiting_on_a_commit", "rollback"),
])
def test_a_request_that_only_read_ends_with_commit_on_postgresql(app, client, postgres_only, route, ends_with):
    """db.end_reading: COMMIT ends a request's transaction that read and nothing else; whatever else it did is
    rolled back as before (nothing it wrote or changed stays)."""
    _add_ending_routes(app)
    db.session.add(Community(name="原名小区"))
    db.session.commit()
    db.session.info.clear()
    ended: list[str] = []
    listeners = {name: lambda conn, name=name: ended.append(name) for name in ("commit", "rollback")}
    for name, listener in listeners.items():
        event.listen(db.engine, name, listener)
    try:
        client.get(f"/_ending/{route}")
        db.session.info.clear()
        db.session.remove()  # as at the end of the request's app context (the test holds it)
    finally:
        for name, listener in listeners.items():
            event.remove(db.engine, name, listener)
    assert ended == [ends_with]
    names = set(db.session.execute(select(Community.name)).scalars())
    assert names == {"原名小区"}


def test_statements_of_requests_that_only_read_are_prepared_on_postgresql(app, client, postgres_only):
    """psycopg prepares a statement at its fifth run on a connection (prepare_threshold) and forgets every prepared
    statement at a rollback: requests that only read end with COMMIT, so PostgreSQL plans their statements once per
    connection, not at every request."""
    _add_ending_routes(app)
    db.session.remove()
    runs: dict[int, list[int]] = {}
    for _ in range(20):
        answer = client.get("/_ending/read").get_json()
        db.session.remove()  # as at the end of the request's app context (the test holds it)
        runs.setdefault(answer["pid"], []).append(answer["prepared"])
    pid, seen = max(runs.items(), key=lambda item: len(item[1]))
    assert len(seen) >= 6, runs
    assert seen[-1] == 1, f"connection {pid}: never prepared over {len(seen)} requests"
