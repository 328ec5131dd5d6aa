"""The declarative base, shared column types and the SQLite connection discipline."""

from __future__ import annotations

import contextvars
import fcntl
import logging
import os
import sqlite3
import threading
import time
import weakref
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import wraps
from typing import Annotated

from sqlalchemy import Boolean, DateTime, MetaData, String, TypeDecorator, event, exc
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, scoped_session

logger = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """A timestamp stored as naive UTC and always handed back timezone-aware (UTC).

    SQLite keeps no time zone, so every value is normalised to UTC on the way in.
    """

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use an aware one (UTC)")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        return value.replace(tzinfo=UTC) if value is not None else None


def utcnow() -> datetime:
    return datetime.now(UTC)


intpk = Annotated[int, mapped_column(primary_key=True)]
str50 = Annotated[str, mapped_column(String(50))]
str200 = Annotated[str, mapped_column(String(200))]
bool_false = Annotated[bool, mapped_column(Boolean, default=False, server_default="0")]
timestamp = Annotated[datetime, mapped_column(UTCDateTime, default=utcnow)]
timestamp_null = Annotated[datetime | None, mapped_column(UTCDateTime)]


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


BUSY_TIMEOUT_S = 15  # how long a SQLite writer waits for the write lock before giving up
CHECKPOINT_BYTES = 4 * 1024 * 1024  # the write-ahead log's length that calls for a checkpoint (SQLite's 1,000 pages)

# Whether the current unit of work may write. Requests that cannot change state (GET, HEAD)
# clear it so SQLite readers do not queue behind the single write lock; everything else
# (forms, API calls, commands) starts its transaction with BEGIN IMMEDIATE.
write_intent: contextvars.ContextVar[bool] = contextvars.ContextVar("write_intent", default=True)


# Inside a request that reads first (reads_first): its reads run under a plain BEGIN, and a write
# before begin_writes is a mistake the SQLite engine refuses (it would meet the lock, or a snapshot
# another writer has moved on from, at its first write, outside the writers' line).
reading_first: contextvars.ContextVar[bool] = contextvars.ContextVar("reading_first", default=False)


def reads_first(view: Callable) -> Callable:
    """A write request whose reads and checks come first (a ballot: token, vote, voter row): on SQLite
    they run in a read transaction (plain BEGIN), beside other writers, and the write lock is taken
    only by `begin_writes`, for the writes and the commit. Nothing changes on PostgreSQL."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        intent, first = write_intent.set(False), reading_first.set(True)
        try:
            return view(*args, **kwargs)
        finally:
            reading_first.reset(first)
            write_intent.reset(intent)

    return wrapper


def begin_writes(session: scoped_session | Session) -> bool:
    """The writes of a request that read first: on SQLite the read transaction ends here (nothing was
    written in it; the loaded objects are kept, not expired) and the next statement begins the write
    transaction with BEGIN IMMEDIATE, in the writers' line. What was read may have changed in between:
    the caller re-checks, inside the write transaction, whatever its decision rests on that another
    writer could change (a vote still open, a slot still free). A no-op in a request that writes from
    its start, and on PostgreSQL (one transaction; rows are locked as they are read for update).

    True when a read transaction was ended here, so that another writer may have come in between."""
    if write_intent.get():
        return False
    write_intent.set(True)  # reset with the request's own token at its end (web._reset_write_intent)
    current = session() if isinstance(session, scoped_session) else session
    if not current.in_transaction():
        return False
    connection = current.connection()
    was_reading = connection.dialect.name == "sqlite" and bool(connection.connection.info.get("reading"))
    to_writing(connection)
    return was_reading


def end_writes() -> None:
    """After the commit of a request that read first: what it reads next (the page it answers with) reads
    under a plain BEGIN again, outside the writers' line."""
    if reading_first.get():
        write_intent.set(False)


def to_writing(connection) -> None:
    """On SQLite, a connection in a read transaction (plain BEGIN) ends it and begins the write transaction
    in its place: COMMIT, a turn in the writers' line, BEGIN IMMEDIATE. The same connection and, for
    SQLAlchemy, the same transaction (its COMMIT or ROLLBACK ends the write transaction). Nothing on
    PostgreSQL, nor on a connection already writing."""
    info = connection.connection.info
    if connection.dialect.name != "sqlite" or not info.get("reading"):
        return
    on_driver(connection, "COMMIT").close()
    if not info.get("writer"):
        info["writer"] = _queues[connection.engine].enter()
    info["reading"] = False
    on_driver(connection, "BEGIN IMMEDIATE").close()


class WriteInReadTransaction(RuntimeError):
    """A request that reads first wrote before begin_writes (a programming error, never the user's)."""


_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE")


@contextmanager
def written_apart(session: Session) -> Iterator[None]:
    """A short write transaction of its own, even inside a read-only request: the request's unfinished
    work is rolled back first, what the block writes is committed at its end (a sign-out, a token's
    last use)."""
    intent = write_intent.set(True)
    try:
        session.rollback()
        yield
        session.commit()
    finally:
        write_intent.reset(intent)


def ping_when_idle(engine: Engine, after: float) -> None:
    """Test a pooled connection before it serves again when it sat idle in the pool `after` seconds or more.

    Meanwhile the database may have restarted or a firewall dropped the idle connection: a dead one is
    discarded with every connection of the pool opened before it (as after a restart), and the request gets
    a new one. A connection back in the pool a moment ago is not tested. The test is a round trip to the
    database, and SQLAlchemy's pool_pre_ping makes it at every checkout, every request (one of a ballot's
    eight on PostgreSQL). A database that goes away while its connections are busy fails the statements that
    meet it, and SQLAlchemy then discards the pool (its disconnect handling), so the next requests connect anew.
    """

    @event.listens_for(engine, "checkin")
    def _idle_since(dbapi_connection, connection_record):
        connection_record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_idle(dbapi_connection, connection_record, connection_proxy):
        since = connection_record.info.get("idle_since")
        if since is None or time.monotonic() - since < after:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as error:
            raise exc.InvalidatePoolError(f"idle connection is gone: {error}") from error


def configure_postgresql(engine: Engine) -> None:
    """Each transaction notes on its connection whether it ran anything but a SELECT, for end_reading."""

    @event.listens_for(engine, "begin")
    def _nothing_written_yet(connection):
        connection.info.pop("wrote", None)

    @event.listens_for(engine, "before_cursor_execute")
    def _note_writes(connection, cursor, statement, parameters, context, executemany):
        if statement.lstrip()[:6].upper() != "SELECT":
            connection.info["wrote"] = True


def end_reading(session: scoped_session | Session) -> None:
    """End a request's transaction that only read with COMMIT, where closing the session would ROLLBACK.

    To PostgreSQL the two are the same for a transaction that wrote nothing, but psycopg forgets its prepared
    statements at every rollback (it cannot know what a rolled-back DDL statement undid), so the statements
    every page runs never reached its prepare_threshold: PostgreSQL planned each one afresh at every request.
    The session page's first statement (the session, whether the user may take part, which parts it has) took
    about 3 ms to plan and 0.3 ms to run. Prepared, it is planned once per connection.

    Rolled back as before: a transaction that ran anything but SELECT (configure_postgresql notes it), a session
    holding changes not flushed, one whose info holds work waiting on a commit (deliveries to hand to the queue,
    uploaded pictures to keep), a transaction in error, and any transaction on SQLite, whose driver keeps its
    statements either way."""
    current = session() if isinstance(session, scoped_session) else session
    if not current.in_transaction() or current.info or current.new or current.dirty or current.deleted:
        return
    connection = current.connection()
    if connection.dialect.name != "postgresql" or connection.info.get("wrote"):
        return
    in_transaction = connection.dialect.loaded_dbapi.pq.TransactionStatus.INTRANS  # and not failed
    if connection.connection.driver_connection.info.transaction_status != in_transaction:
        return
    current.commit()


_queues: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # each SQLite engine's writers' line


def configure_sqlite(engine: Engine) -> None:
    """WAL, a busy timeout, foreign keys, and write transactions that take the lock up front.

    Python's sqlite3 emits no BEGIN before reads, so a read-then-write transaction would meet
    "database is locked" at its first write instead of waiting for the lock. We switch the
    driver's own transaction handling off and emit BEGIN [IMMEDIATE] ourselves.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA wal_autocheckpoint=0")  # checkpoints outside the writers' line: _on_checkin
        # The writer that starts the log again from its beginning (after a checkpoint) cuts the file to what it
        # wrote: the file's length is then the log's, which checkpoint_if_due reads. Without it the file keeps the
        # length it once reached, and every writer after that checkpointed (and synced) again.
        cursor.execute("PRAGMA journal_size_limit=0")
        cursor.close()

    queue = _queues[engine] = _WriterQueue(engine.url.database)

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        info = connection.connection.info  # the pooled connection's, seen again at checkin
        if write_intent.get():
            if not info.get("writer"):
                info["writer"] = queue.enter()
            info["reading"] = False
            on_driver(connection, "BEGIN IMMEDIATE").close()
        else:
            info["reading"] = True
            on_driver(connection, "BEGIN").close()

    @event.listens_for(engine, "before_cursor_execute")
    def _no_write_while_reading(connection, cursor, statement, parameters, context, executemany):
        if (reading_first.get() and connection.connection.info.get("reading")
                and statement.lstrip()[:7].upper().startswith(_WRITES)):
            raise WriteInReadTransaction(f"write before begin_writes in a request that reads first: {statement[:80]}")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection, connection_record):
        if connection_record.info.pop("writer", False):
            queue.leave()
            if dbapi_connection is not None:
                queue.checkpoint_if_due(dbapi_connection)


class _WriterQueue:
    """SQLite has one writer at a time; writers of this app wait for it here, in line.

    SQLite's own busy handler polls with growing sleeps (1, 2, 5 … 100 ms) and lets a late arrival
    overtake a waiting one: under load the slowest writes took seconds. Here the threads of a process
    queue on a lock, and the processes on an flock of a file beside the database; both wake a waiter
    the moment the writer is done. Held from BEGIN IMMEDIATE until the connection is back in the
    pool (after its COMMIT or ROLLBACK). The kernel drops the flock of a process that dies; a thread
    that waits longer than the busy timeout goes on to SQLite's lock anyway.
    """

    def __init__(self, database: str | None):
        self.threads = threading.Lock()
        on_disk = database and database != ":memory:" and not database.startswith("file:")
        self.path = f"{database}-writers" if on_disk else None
        self.wal = f"{database}-wal" if on_disk else None
        self.fd: int | None = None

    def enter(self) -> bool:
        if not self.threads.acquire(timeout=BUSY_TIMEOUT_S):
            return False
        if self.path is not None:
            try:
                if self.fd is None:
                    self.fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
                fcntl.flock(self.fd, fcntl.LOCK_EX)
            except OSError:
                logger.warning("SQLite writers' lock file %s unusable; SQLite's lock alone serialises", self.path)
                self.path = None
        return True

    def leave(self) -> None:
        if self.path is not None and self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
        self.threads.release()

    def checkpoint_if_due(self, dbapi_connection) -> None:
        """Once the write-ahead log has grown past CHECKPOINT_BYTES, its pages are copied into the database by the
        writer that has just left the line (a PASSIVE checkpoint: beside the next writers and the readers, never
        waiting for them). SQLite's own automatic checkpoint would run inside the COMMIT, and every writer of
        every process would wait in line for its copy and its fsync: milliseconds, every hundred ballots or so."""
        try:
            if self.wal is None or os.stat(self.wal).st_size < CHECKPOINT_BYTES:
                return
            dbapi_connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except (OSError, sqlite3.Error) as error:  # the next writer tries again
            logger.warning("SQLite checkpoint of %s failed: %s", self.wal, error)


def commit_as_written(session: scoped_session | Session) -> None:
    """Commit without expiring the loaded objects, for a request that answers with what it just wrote.

    After a plain commit the answer would read every object back in a second transaction (on SQLite
    a second turn at the write lock); the objects as flushed are what was stored.
    """
    current = session() if isinstance(session, scoped_session) else session
    current.expire_on_commit = False
    try:
        current.commit()
    finally:
        current.expire_on_commit = True


class OnDriver:
    """A Core statement compiled once per dialect and run on the DBAPI cursor of a SQLAlchemy connection, in its
    transaction: for the few statements a hot path sends by the thousand (the ordinary ballot, voting.quick).

    SQLAlchemy's own execution builds an execution context, looks the statement up in its compiled cache and
    builds the result's metadata at every run; for a ballot that was more than the database's own work. Here it
    is the same SQL with the same parameters (the statement's defaults, expanding IN lists, the types' bind
    processors) and the same values back (the columns' types' result processors), as tuples named by the
    statement's columns, or the same errors (IntegrityError, OperationalError…; a lost connection invalidated).
    An INSERT or UPDATE takes its columns from the parameters' names, as SQLAlchemy's does; a column default
    computed in Python is refused: the caller passes every value. The engine's before_cursor_execute listeners see
    each statement (without an execution context), as they see SQLAlchemy's: SQLite's guard of the read
    transaction, the tests' recorders.
    """

    def __init__(self, statement):
        self.statement = statement
        self._forms: dict[tuple[str, ...], _DriverForm] = {}  # by dialect and parameters' names, compiled at first

    def first(self, connection, parameters: dict | None = None):
        """The first row (named by the statement's columns), or None."""
        cursor, form = self._execute(connection, parameters)
        try:
            row = cursor.fetchone()
        finally:
            cursor.close()
        return None if row is None else form.row(row)

    def scalar(self, connection, parameters: dict | None = None):
        row = self.first(connection, parameters)
        return None if row is None else row[0]

    def run(self, connection, parameters: dict | None = None) -> int:
        """A statement without rows: the number of rows it changed."""
        cursor, _form = self._execute(connection, parameters)
        try:
            return cursor.rowcount
        finally:
            cursor.close()

    def _execute(self, connection, parameters: dict | None):
        dialect, parameters = connection.dialect, parameters or {}
        key = (dialect.name, *parameters)
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = _DriverForm(self.statement, dialect, list(parameters))
        return on_driver(connection, *form.bound(parameters)), form


def on_driver(connection, sql: str, values=()):
    """The cursor of `sql` run on the DBAPI connection under a SQLAlchemy connection: the engine's
    before_cursor_execute listeners told, a DBAPI error raised as SQLAlchemy's (a lost connection invalidated)."""
    dialect, dbapi_connection = connection.dialect, connection.connection.dbapi_connection
    cursor = dbapi_connection.cursor()
    for listener in connection.dispatch.before_cursor_execute:
        sql, values = listener(connection, cursor, sql, values, None, False)
    try:
        cursor.execute(sql, values)
    except dialect.loaded_dbapi.Error as error:
        cursor.close()
        if dialect.is_disconnect(error, dbapi_connection, cursor):
            connection.invalidate(error)
        raise exc.DBAPIError.instance(sql, values, error, dialect.loaded_dbapi.Error) from error
    return cursor


class _DriverForm:
    """An OnDriver statement compiled for one dialect: its SQL, how its parameters are bound, how its rows read."""

    def __init__(self, statement, dialect, names: list[str]):
        self.compiled = statement.compile(dialect=dialect, column_keys=names)
        if self.compiled.insert_prefetch or self.compiled.update_prefetch:
            raise ValueError(f"a column default computed in Python: pass every value ({self.compiled.string[:80]})")
        # Expanding parameters (IN lists) change the SQL with each run's values; every other statement's SQL,
        # parameter order and bind processors are those of its first run.
        self.expands = bool(self.compiled.post_compile_params or self.compiled.literal_execute_params)
        self.fixed = None
        escaped = self.compiled.escaped_bind_names
        self.processors = {escaped.get(name, name): processor for name, bind in self.compiled.binds.items()
                           if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))}
        columns = list(statement.exported_columns)
        self.row_type = namedtuple("Row", [column.key for column in columns])
        self.readers = [(n, processor) for n, column in enumerate(columns)
                        if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))]

    def bound(self, parameters: dict):
        if self.fixed is None:
            state = self.compiled.construct_expanded_state(parameters)
            processors = self.processors | state.processors  # the expanded IN lists' elements' own
            if not self.expands:
                self.fixed = (state.statement, state.positiontup, processors)
            return state.statement, self._values(state.parameters, state.positiontup, processors)
        sql, positions, processors = self.fixed
        return sql, self._values(self.compiled.construct_params(parameters), positions, processors)

    def _values(self, values: dict, positions, processors):
        values = {name: processors[name](value) if name in processors else value for name, value in values.items()}
        return values if positions is None else tuple(values[name] for name in positions)

    def row(self, row):
        if self.readers:
            row = list(row)
            for n, processor in self.readers:
                row[n] = processor(row[n])
        return self.row_type(*row)
