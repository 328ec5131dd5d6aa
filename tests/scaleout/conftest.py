"""Two app processes (gunicorn, one worker each, on different ports) against one PostgreSQL and one Redis.

They run only in the PostgreSQL pass (`make test-postgres`, TEST_DATABASE_URL=postgresql://…): running
several hosts is what PostgreSQL and Redis are for, while SQLite is the one-machine default, a file
that only processes of one host can share. On SQLite the module is skipped, not failed, even in CI,
which runs the PostgreSQL pass too; with PostgreSQL asked for but PostgreSQL or Redis unreachable,
`unavailable` skips on a developer's machine and fails in CI.
"""

from __future__ import annotations

import re

import pytest
import redis
import requests

from bench.server import Server
from tests.conftest import TEST_DATABASE_URL, TEST_REDIS_URL, unavailable

SECRET_KEY = "scale-out-shared-secret"  # every host of one site shares its SECRET_KEY
LOGIN_LIMIT = 4  # sign-in attempts a minute per address (LOGIN_RATE_LIMIT), low enough to reach


@pytest.fixture(scope="module")
def shared_redis() -> redis.Redis:
    if not TEST_DATABASE_URL.startswith("postgres"):
        pytest.skip("scale-out runs in the PostgreSQL pass (TEST_DATABASE_URL=postgresql://…)")
    client = redis.Redis.from_url(TEST_REDIS_URL, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        unavailable("Redis is not reachable")
    return client


@pytest.fixture
def hosts(database_uri, shared_redis, tmp_path):
    """Two app processes on two ports: nothing shared between them but PostgreSQL and Redis.

    Started for each test and stopped at its end, so no process of one test still holds a
    connection (or serves a live stream) while the next test empties the database.
    """
    migrated_database, logs = database_uri, tmp_path
    env = {"DATABASE_URL": migrated_database, "REDIS_URL": TEST_REDIS_URL, "SECRET_KEY": SECRET_KEY,
           "LOGIN_RATE_LIMIT": f"{LOGIN_LIMIT} per minute"}
    first = Server("deliberation:create_app()", env, logs / "a.log", workers=1, threads=4)
    second = Server("deliberation:create_app()", env, logs / "b.log", workers=1, threads=4)
    with first, second:
        assert first.port != second.port
        yield first, second


@pytest.fixture
def clean_limits(shared_redis):
    """Rate-limit counters of earlier tests out of the way (only the limiter's keys)."""
    for key in shared_redis.scan_iter(match="*LIMITER*"):
        shared_redis.delete(key)
    yield


def login_attempt(base_url: str, username: str, password: str) -> tuple[requests.Session, requests.Response]:
    """The login form as a browser sends it (with its CSRF token); the session and the answer."""
    http = requests.Session()
    form = http.get(base_url + "/login", timeout=10).text
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="csrf_token"', form)
    data = {"username": username, "password": password, "csrf_token": token.group(1) if token else ""}
    return http, http.post(base_url + "/login", data=data, allow_redirects=False, timeout=10)


def sign_in(base_url: str, username: str, password: str) -> requests.Session:
    """A browser's session, signed in through the login form."""
    http, answer = login_attempt(base_url, username, password)
    assert answer.status_code == 302, answer.text[:300]
    return http

