"""Rate-limit counters shared by every process of one server without Redis: a small SQLite file in
the instance folder (`sqlitefile:///…/limits.sqlite`, the default when REDIS_URL is not set).

Flask-Limiter's `memory://` keeps counters per process, so two gunicorn workers would each allow
the whole limit (12 failed sign-ins for one name against 10). Here every increment is one
atomic statement on the shared file, so the count is exact across processes and
threads. Servers on several hosts set REDIS_URL instead.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from urllib.parse import urlparse

from limits.storage import Storage

SCHEMA = "CREATE TABLE IF NOT EXISTS counters (key TEXT PRIMARY KEY, count INTEGER NOT NULL, expires REAL NOT NULL)"
INCREMENT = ("INSERT INTO counters (key, count, expires) VALUES (:key, :amount, :expires) ON CONFLICT (key) DO UPDATE "
             "SET count = CASE WHEN counters.expires <= :now THEN excluded.count ELSE counters.count + excluded.count END, "
             "expires = CASE WHEN counters.expires <= :now THEN excluded.expires ELSE counters.expires END "
             "RETURNING count, expires")
# One increment in this many also drops every expired counter, so the file stays small.
PURGE_EVERY = 500


class SQLiteFileStorage(Storage):
    """A fixed-window counter store (what Flask-Limiter's default strategy needs) on a SQLite file."""

    STORAGE_SCHEME = ["sqlitefile"]

    def __init__(self, uri: str, wrap_exceptions: bool = False, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        self.path = urlparse(uri).path
        self._local = threading.local()
        # The threads of a process take turns here, woken the moment the one before is done, rather than
        # polling in SQLite's busy handler (sleeps of 1, 2, 5 … ms under load, late arrivals overtaking).
        self._turn = threading.Lock()

    @property
    def base_exceptions(self):
        return sqlite3.Error

    def _connection(self) -> sqlite3.Connection:
        """One connection per thread and process (a forked worker opens its own)."""
        pid = os.getpid()
        if getattr(self._local, "pid", None) != pid:
            os.makedirs(os.path.dirname(self.path) or ".", exist_ok=True)
            connection = sqlite3.connect(self.path, timeout=10, isolation_level=None)
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(SCHEMA)
            self._local.connection, self._local.pid = connection, pid
        return self._local.connection

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        return self.incr_with_expiry(key, expiry, amount)[0]

    def incr_with_expiry(self, key: str, expiry: int, amount: int = 1) -> tuple[int, float]:
        """The count after the increment and when its window ends, in one statement, atomic on its own (SQLite
        runs it in a transaction of its own): a counter whose window has passed starts again, as a missing one
        does; the window of a running counter stays fixed. (limits.count reads the window's end from here for
        the rate-limit headers, where another store takes a second read.)"""
        connection = self._connection()
        with self._turn:
            now = time.time()
            if random.randrange(PURGE_EVERY) == 0:  # noqa: S311 -- housekeeping, not security
                connection.execute("DELETE FROM counters WHERE expires <= ?", (now,))
            return connection.execute(INCREMENT, {"key": key, "amount": amount, "now": now,
                                                  "expires": now + expiry}).fetchone()

    def get(self, key: str) -> int:
        row = self._connection().execute(
            "SELECT count FROM counters WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
        return row[0] if row else 0

    def get_expiry(self, key: str) -> float:
        row = self._connection().execute(
            "SELECT expires FROM counters WHERE key = ? AND expires > ?", (key, time.time())).fetchone()
        return row[0] if row else time.time()

    def check(self) -> bool:
        try:
            self._connection().execute("SELECT 1")
        except sqlite3.Error:
            return False
        return True

    def reset(self) -> int | None:
        return self._connection().execute("DELETE FROM counters").rowcount

    def clear(self, key: str) -> None:
        self._connection().execute("DELETE FROM counters WHERE key = ?", (key,))
