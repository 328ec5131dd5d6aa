"""Fixtures: an app on a fresh database (SQLite by default, PostgreSQL with TEST_DATABASE_URL)."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

import pytest
from flask import g
from flask_migrate import upgrade
from hypothesis import settings
from sqlalchemy import create_engine, text

from deliberation import create_app
from deliberation.config import database_url
from deliberation.extensions import db
from deliberation.web import migrations

# Timing varies on a shared two-core machine: no per-example deadline, and CI stays deterministic.
settings.register_profile("project", deadline=None, derandomize=os.environ.get("CI") == "true")
settings.load_profile("project")

IN_CI = os.environ.get("CI") == "true"
TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL") or ""
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL") or "redis://127.0.0.1:6379/15"


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
        **extra,
    }


@pytest.fixture(scope="session")
def is_postgres() -> bool:
    return TEST_DATABASE_URL.startswith("postgres")


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory, is_postgres):
    """The schema built once per run by the real migrations; tests get a clean copy of it."""
    if is_postgres:
        uri = database_url(TEST_DATABASE_URL, "")
        if not _reachable("127.0.0.1", 5432) and "127.0.0.1" in uri:
            unavailable("PostgreSQL is not reachable")
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


@pytest.fixture
def database_uri(migrated_database, is_postgres, tmp_path):
    if is_postgres:
        engine = create_engine(migrated_database)
        with engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename != 'alembic_version'"
            )).scalars().all()
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return migrated_database
    path = tmp_path / "test.db"
    shutil.copy(migrated_database.removeprefix("sqlite:///"), path)
    return "sqlite:///" + str(path)


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
    app = create_app(base_config(database_uri, UPLOAD_FOLDER=str(upload_folder), **config_overrides))

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
