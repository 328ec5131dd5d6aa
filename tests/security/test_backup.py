"""`flask --app deliberation backup PATH`, and a restore that reads the data back."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess

import pytest
from sqlalchemy import create_engine, func, select, text

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.audit import AuditEvent


@pytest.fixture
def data(session, make_community, make_user):
    community = make_community("银杏居民区")
    for i in range(5):
        make_user(f"resident{i}", community)
    audit.record(session, None, "test.backup", community)
    session.commit()
    return {"users": 5, "communities": 1}


def _counts(conn) -> dict[str, int]:
    return {table: conn.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608
            for table in ("users", "communities", "persons", "memberships", "audit_events")}


def test_backup_of_sqlite_restores_and_reads_back(app, session, data, tmp_path, is_postgres):
    if is_postgres:
        pytest.skip("the SQLite backup; PostgreSQL is tested below")
    target = tmp_path / "copy" / "backup.db"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "已备份" in result.output
    # Restore: the copy is a complete database file; open it as the site would.
    with sqlite3.connect(target) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    restored = create_engine(f"sqlite:///{target}")
    with restored.connect() as conn:
        assert _counts(conn) == _counts(session.connection())
        assert conn.execute(text("SELECT name FROM communities")).scalar() == "银杏居民区"
    restored.dispose()
    # The restored audit chain still verifies.
    from deliberation import create_app
    from tests.conftest import base_config

    copy = create_app(base_config(f"sqlite:///{target}"))
    with copy.app_context():
        from deliberation.extensions import db

        assert audit.verify(db.session).ok
        db.engine.dispose()


def test_backup_of_postgresql_restores_into_a_scratch_database(app, session, data, tmp_path, is_postgres):
    if not is_postgres:
        pytest.skip("needs TEST_DATABASE_URL=postgresql://…")
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed")
    target = tmp_path / "backup.sql"
    result = app.test_cli_runner().invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert "CREATE TABLE" in target.read_text()
    url = session.get_bind().url
    # Named after this worker's test database, so parallel workers and a second run never share it.
    restore_database = f"{url.database}_restore"
    admin = create_engine(url.set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{restore_database}"'))
            conn.execute(text(f'CREATE DATABASE "{restore_database}"'))
    finally:
        admin.dispose()
    restore = subprocess.run(  # noqa: S603
        [shutil.which("psql"), "--quiet", "--set", "ON_ERROR_STOP=1", "--host", url.host or "127.0.0.1", "--port",
         str(url.port or 5432), "--username", url.username or "postgres", "--file", str(target),
         restore_database],
        capture_output=True, text=True, check=False, env={"PGPASSWORD": url.password or "", "PATH": "/usr/bin"})
    assert restore.returncode == 0, restore.stderr
    restored = create_engine(url.set(database=restore_database))
    try:
        with restored.connect() as conn:
            assert _counts(conn) == _counts(session.connection())
    finally:
        restored.dispose()
    assert session.execute(select(func.count(User.id))).scalar() == data["users"]
    assert session.execute(select(func.count(Community.id))).scalar() == data["communities"]
    assert session.execute(select(func.count(AuditEvent.id))).scalar() > 0
