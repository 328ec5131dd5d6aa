"""Rate limits hold on the embedded default (no REDIS_URL): the counters live in a SQLite file of
the instance folder that every process shares, so two gunicorn workers allow the limit once, not
twice (deliberation.limit_store; ASVS 5.0: 2.4.1, 6.3.1)."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import subprocess
from pathlib import Path

import pytest

from deliberation import create_app
from deliberation.limit_store import SQLiteFileStorage
from tests.security.test_crash import GUNICORN, ROOT, _free_port, _wait_ready

pytestmark = pytest.mark.slow


def test_without_redis_the_counters_default_to_a_file_of_the_instance_folder(monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    app = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    assert app.config["RATELIMIT_STORAGE_URI"] == f"sqlitefile://{Path(app.instance_path).resolve()}/limits.sqlite"
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/9")
    assert create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": "sqlite://"}).config[
        "RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379/9"


@pytest.fixture
def store_uri(tmp_path) -> str:
    return f"sqlitefile://{tmp_path / 'limits.sqlite'}"


@pytest.mark.parametrize(("amounts", "expected"), [([1], 1), ([1, 1, 1], 3), ([2, 5], 7)])
def test_two_stores_on_one_file_count_together(store_uri, amounts, expected):
    first, second = SQLiteFileStorage(store_uri), SQLiteFileStorage(store_uri)
    results = [(first if i % 2 else second).incr("sign-in/张三", 60, amount) for i, amount in enumerate(amounts)]
    assert results[-1] == expected == first.get("sign-in/张三") == second.get("sign-in/张三")
    assert first.get("someone else") == 0


def test_an_expired_window_starts_again_and_clear_forgets(store_uri):
    store = SQLiteFileStorage(store_uri)
    store.incr("k", 60)
    store.incr("k", 60)
    expires = store.get_expiry("k")
    assert store.incr("k", 60) == 3 and store.get_expiry("k") == expires  # the window is fixed
    assert store.incr_with_expiry("k", 60) == (4, expires)  # the count with its window's end, in one statement
    store.incr("gone", 0)  # a window of no length has already passed
    assert store.get("gone") == 0 and store.incr("gone", 60) == 1
    store.clear("k")
    assert store.get("k") == 0 and store.check()
    assert store.reset() == 1


def _hit(uri: str, times: int) -> None:
    store = SQLiteFileStorage(uri)
    for _ in range(times):
        store.incr("shared", 600)


def test_processes_incrementing_at_once_lose_no_count(store_uri):
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_hit, args=(store_uri, 50)) for _ in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0, 0]
    assert SQLiteFileStorage(store_uri).get("shared") == 200


def _post_token(port: int) -> int:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("POST", "/api/v1/auth/token", body=json.dumps(
            {"username": "resident1", "password": "wrong password"}), headers={"Content-Type": "application/json"})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def test_two_server_processes_without_redis_allow_the_limit_exactly_once(database_uri, tmp_path, resident):
    """Two gunicorn processes (as the two workers of `make run`), taking requests in turn: the sign-in
    limit of one account (10 per 10 minutes) is reached after ten attempts in all, not ten each."""
    env = {**os.environ, "DATABASE_URL": database_uri, "SECRET_KEY": "limit-test", "REDIS_URL": ""}
    config = {"RATELIMIT_STORAGE_URI": f"sqlitefile://{tmp_path / 'limits.sqlite'}",
              "LOGIN_ACCOUNT_RATE_LIMIT": "10 per 10 minutes", "PASSWORD_HASHING": "fast"}
    ports, servers = [_free_port(), _free_port()], []
    with open(tmp_path / "gunicorn.log", "wb") as log:
        try:
            for port in ports:
                servers.append(subprocess.Popen(  # noqa: S603
                    [str(GUNICORN), "--bind", f"127.0.0.1:{port}", "--workers", "1",
                     f"deliberation:create_app({json.dumps(config)})"],
                    cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
            for port in ports:
                _wait_ready(port)
            statuses = [_post_token(ports[i % 2]) for i in range(14)]
        finally:
            for server in servers:
                server.terminate()
                server.wait(30)
    assert statuses == [401] * 10 + [429] * 4, (tmp_path / "gunicorn.log").read_text()[-2000:]


@pytest.fixture
def resident(make_user, community):
    return make_user("resident1", community)
