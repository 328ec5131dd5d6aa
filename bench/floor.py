"""The floor: a bare Flask app whose one endpoint inserts one row with the database driver and nothing
else (no ORM, no auth, no audit). Served by the same gunicorn settings as the app, it shows what the
machine, the server and the database can do; the ballot figure is compared against it.

FLOOR_DATABASE is a SQLite file path or a postgresql:// URL. SQLite gets the app's own connection
discipline (WAL, busy timeout, synchronous=NORMAL, BEGIN IMMEDIATE), so the comparison is fair.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from datetime import UTC, datetime

from flask import Flask, request

DATABASE = os.environ.get("FLOOR_DATABASE", "")
POSTGRES = DATABASE.startswith(("postgres://", "postgresql://"))
_local = threading.local()


def connect(database: str = DATABASE):
    if database.startswith(("postgres://", "postgresql://")):
        import psycopg

        return psycopg.connect(database, autocommit=True)
    conn = sqlite3.connect(database, isolation_level=None, check_same_thread=False)
    for pragma in ("journal_mode=WAL", "busy_timeout=15000", "synchronous=NORMAL"):
        conn.execute(f"PRAGMA {pragma}")
    return conn


def create_table(database: str) -> None:
    """The floor's table, in the benchmark's own database."""
    conn = connect(database)
    key = "id SERIAL PRIMARY KEY" if database.startswith("postgres") else "id INTEGER PRIMARY KEY"
    conn.execute(f"CREATE TABLE IF NOT EXISTS bench_floor ({key}, path TEXT, choice TEXT, created_at TIMESTAMP)")
    conn.close()


def connection():
    conn = getattr(_local, "conn", None)
    if conn is None:
        conn = _local.conn = connect()
    return conn


app = Flask(__name__)


@app.get("/login")
def ready():
    return "ok"


@app.post("/<path:path>")
def insert(path: str):
    choice = (request.get_json(silent=True) or {}).get("choice", "")
    row = (path, choice, datetime.now(UTC).replace(tzinfo=None).isoformat(sep=" "))
    conn = connection()
    if POSTGRES:
        with conn.transaction():
            conn.execute("INSERT INTO bench_floor (path, choice, created_at) VALUES (%s, %s, %s)", row)
    else:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO bench_floor (path, choice, created_at) VALUES (?, ?, ?)", row)
        conn.execute("COMMIT")
    return {"ok": True}, 201
