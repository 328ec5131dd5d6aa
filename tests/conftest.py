"""Fixtures: an app on a fresh database (SQLite by default, PostgreSQL with TEST_DATABASE_URL).

Tests run in parallel under pytest-xdist: each worker has a database of its own (PostgreSQL:
`<name>_gw0`, `<name>_gw1` …, created and migrated by the worker) and a Redis database of its own,
so no test ever sees another's rows. After every test `_no_leaks` checks that the test ended its
threads and its database connections: a leak fails the test that leaked, before the next test's
clean-up could wait on it.
"""

from __future__ import annotations

import os
import shutil
import socket
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import create_engine, make_url, text
from sqlalchemy.pool import NullPool

from deliberation import create_app
from deliberation.config import database_url
from deliberation.extensions import db
from deliberation.web import migrations

IN_CI = os.environ.get("CI") == "true"
# Keys, counters and anchors of every app the tests start (here and in the servers they spawn) go to a folder
# of the run, never into the source tree's instance/ (a developer's `make run` keeps its own there).
os.environ.setdefault("INSTANCE_PATH", tempfile.mkdtemp(prefix="deliberation-test-instance-"))

# Timing varies on a shared two-core machine: no per-example deadline. In CI the examples are
# derived from the tests alone, and no example database carries one run's failures into the next.
settings.register_profile("project", deadline=None, derandomize=IN_CI, **({"database": None} if IN_CI else {}))
settings.load_profile("project")

WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")  # "gw0", "gw1" … under pytest-xdist, else ""
WORKER_NUMBER = int(WORKER.removeprefix("gw")) if WORKER.startswith("gw") else 0


def _per_worker_database(url: str) -> str:
    """The worker's own PostgreSQL database: `test` → `test_gw1` (the base itself without xdist)."""
    if not url or not WORKER:
        return url
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{WORKER}").render_as_string(hide_password=False)


def _per_worker_redis(url: str) -> str:
    """The worker's own Redis database: db 15 → 15 for gw0, 14 for gw1 … (counting down)."""
    base, _, number = url.rpartition("/")
    return f"{base}/{int(number or 0) - WORKER_NUMBER}" if WORKER and number.isdigit() else url


BASE_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or ""
TEST_DATABASE_URL = _per_worker_database(BASE_DATABASE_URL)
TEST_REDIS_URL = _per_worker_redis(os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15")


def unavailable(reason: str):
    """Skip on a developer's machine; fail in CI, where every part must run."""
    if IN_CI:
        pytest.fail(f"{reason} (CI=true: required)", pytrace=False)
    pytest.skip(reason)


def _reachable(host: str, port: int) -> bool:
    try:
        socket.create_connection((host, port), timeout=1).close()
        return True
    except OSError:
        return False


def base_config(uri: str, **extra) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret-key",
        "SQLALCHEMY_DATABASE_URI": uri,
        "PASSWORD_HASHING": "fast",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": "localhost",
        # An app of its own never reads another's anchor of the audit chain (nor the project's instance folder).
        "AUDIT_ANCHOR_FILE": str(Path(tempfile.gettempdir()) / f"deliberation-anchor-{uuid.uuid4().hex}.json"),
        **extra,
    }


@pytest.fixture(scope="session")
def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgres")


def _create_database(uri: str) -> None:
    """Create the test database when it is missing (a worker's own; trust auth, as in CI)."""
    url = make_url(uri)
    engine = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT", poolclass=NullPool)
    with engine.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                              {"name": url.database}).first()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    engine.dispose()


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory, is_postgres):
    """The schema built once per worker by the real migrations; tests get a clean copy of it."""
    if is_postgres:
        uri = database_url(TEST_DATABASE_URL, "")
        if not _reachable("127.0.0.1", 5432) and "127.0.0.1" in uri:
            unavailable("PostgreSQL is not reachable")
        _create_database(uri)
        engine = create_engine(uri)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
        engine.dispose()
    else:
        uri = "sqlite:///" + str(tmp_path_factory.mktemp("template") / "template.db")
    app = create_app(base_config(uri))
    with app.app_context():
        migrations()
        upgrade(revision="heads")
        db.engine.dispose()
    return uri


# A test's own connections were all checked for at its end (_no_leaks), so nothing can hold a lock
# here; the timeout turns a surprise into a message instead of a wait.
CLEAN_UP_LOCK_TIMEOUT = "30s"


@pytest.fixture
def database_uri(migrated_database, is_postgres, tmp_path, request):
    if is_postgres:
        engine = create_engine(migrated_database)
        try:
            with engine.begin() as conn:
                conn.execute(text(f"SET LOCAL lock_timeout = '{CLEAN_UP_LOCK_TIMEOUT}'"))
                # The audit tables' triggers refuse TRUNCATE to the app; the tests' clean-up is not the app.
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                tables = conn.execute(text(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'"
                )).scalars().all()
                conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        except Exception as error:
            others = _other_connections(engine)
            pytest.fail(f"{request.node.nodeid}: the test database could not be emptied ({error.__class__.__name__});"
                        f" connections left by an earlier test: {others}", pytrace=False)
        finally:
            engine.dispose()
        return migrated_database
    path = tmp_path / "test.db"
    shutil.copy(migrated_database.removeprefix("sqlite:///"), path)
    return "sqlite:///" + str(path)


def _other_connections(engine) -> list[dict]:
    """Client connections to the test database other than this one: who, in what state, doing what."""
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT pid, application_name, state, left(query, 120) AS query FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        )).mappings().all()
    return [dict(row) for row in rows]


# How long a test's threads and connections may take to end after its fixtures are torn down: a
# server thread finishing its last answer, a pool closing. Generous, for a machine kept busy.
LEAK_GRACE_SECONDS = 15.0


def _threads_still_running(before: set[threading.Thread], deadline: float) -> list[threading.Thread]:
    """Threads started during the test that are still running at the deadline."""
    while True:
        running = [t for t in threading.enumerate() if t not in before and t.is_alive()
                   and not t.name.startswith(_LONG_LIVED_THREADS)]
        if not running or time.monotonic() >= deadline:
            return running
        running[0].join(timeout=min(0.2, max(0.0, deadline - time.monotonic())))


# Threads that belong to the run, not to a test: Playwright's driver (a session fixture shared by
# the browser tests) and pytest-xdist's channel to the controller.
_LONG_LIVED_THREADS = ("Thread-execnet", "execmodel", "Playwright", "asyncio")


@pytest.fixture(autouse=True)
def _no_leaks(request, is_postgres):
    """Fail the test that leaves a thread running or a database connection open after its end.

    Set up before the test's other fixtures, so its check runs after all of them are torn down.
    """
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + LEAK_GRACE_SECONDS
    problems = []
    threads = _threads_still_running(before, deadline)
    if threads:
        problems.append(f"threads still running: {[t.name for t in threads]}")
    if is_postgres and "migrated_database" in request.fixturenames:
        problems += _connections_left(request.getfixturevalue("migrated_database"), deadline)
    if problems:
        pytest.fail(f"{request.node.nodeid} did not clean up after itself: " + "; ".join(problems), pytrace=False)


def _connections_left(uri: str, deadline: float) -> list[str]:
    """Connections to the test database still open at the deadline, ended so the next test can run."""
    engine = create_engine(uri, poolclass=NullPool)
    try:
        while (others := _other_connections(engine)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if others:
            with engine.connect() as conn:
                for row in others:
                    conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": row["pid"]})
            return [f"database connections still open: {others}"]
        return []
    finally:
        engine.dispose()


@pytest.fixture
def config_overrides() -> dict:
    """Override in a test module to change settings for its app."""
    return {}


@pytest.fixture
def upload_folder(tmp_path):
    """Pictures go to a temporary folder, never into the project's instance folder."""
    return tmp_path / "uploads"


@pytest.fixture
def app(database_uri, config_overrides, upload_folder):
    app = create_app(base_config(database_uri, UPLOAD_FOLDER=str(upload_folder),
                                 AUDIT_ANCHOR_FILE=str(upload_folder.parent / "audit-anchor.json"),
                                 **config_overrides))

    # The test holds an app context, which Flask reuses for the client's requests; give each
    # request a fresh `g` (the signed-in user, the locale) as it has in production.
    @app.before_request
    def fresh_request_globals():
        for name in [n for n in vars(g) if n != "write_intent_token"]:
            delattr(g, name)

    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def redis_url() -> str:
    import redis

    try:
        redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        unavailable("Redis is not reachable")
    return TEST_REDIS_URL


# -- objects -----------------------------------------------------------------------------------

PASSWORD = "correct horse battery"


@pytest.fixture
def make_community(session):
    from deliberation.accounts.models import Community

    def make(name: str = "银杏居民区") -> Community:
        community = Community(name=name, district="枫林路街道")
        session.add(community)
        session.commit()
        return community

    return make


@pytest.fixture
def make_user(session):
    """A user with a role in a community; residents get a person of the roster in a unit."""
    from decimal import Decimal

    from deliberation.accounts.models import (
        Building,
        Household,
        Membership,
        Ownership,
        Person,
        Role,
        Tenure,
        Unit,
    )
    from deliberation.accounts.services import create_user

    def make(username: str, community=None, role: str = "resident", *, is_admin: bool = False,
             tenure: str = "owner", building: str = "1号楼", room: str | None = None):
        person = None
        if community is not None and role == "resident":
            b = session.query(Building).filter_by(community_id=community.id, name=building).first()
            if b is None:
                b = Building(community=community, name=building, sort_key=building)
                session.add(b)
            unit = Unit(building=b, room=room or str(100 + len(username) * 7 + sum(map(ord, username)) % 900),
                        area=Decimal("88.50"))
            household = Household(unit=unit)
            person = Person(community=community, name=username, tenure=Tenure(tenure), birth_year=1960,
                            phone="13800138000", household=household)
            session.add(person)
            if tenure == "owner":
                session.add(Ownership(person=person, unit=unit))
        user = create_user(session, None, username, PASSWORD, username, is_admin=is_admin, person=person)
        if community is not None:
            session.add(Membership(user=user, community_id=community.id, role=Role(role)))
        session.commit()
        return user

    return make


@pytest.fixture
def community(make_community):
    return make_community("银杏居民区")


@pytest.fixture
def other_community(make_community):
    return make_community("梧桐居民区")


@pytest.fixture
def secretary(make_user, community):
    """The secretary (moderator) of the community."""
    return make_user("shuji", community, role="moderator")


@pytest.fixture
def outsider(make_user, other_community):
    """A resident of the other community: everything of the first must answer 404 to them."""
    return make_user("zhaojie", other_community, building="1号楼", room="101")


@pytest.fixture
def login(client):
    def do(username: str, password: str = PASSWORD):
        response = client.post("/login", data={"username": username, "password": password})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        return response

    return do


@pytest.fixture
def api_token(client):
    def get(username: str, password: str = PASSWORD) -> dict[str, str]:
        response = client.post("/api/v1/auth/token", json={"username": username, "password": password})
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['token']}"}

    return get


FIXTURES = Path(__file__).parent / "fixtures"
