"""Rate limits per address and per account, behind a proxy, shared through Redis (ASVS V6.3, V2.4)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest

from deliberation import create_app
from deliberation.extensions import db
from tests.conftest import PASSWORD, base_config

LIMITS = {
    "RATELIMIT_ENABLED": True,
    "LOGIN_RATE_LIMIT": "3 per minute",
    "LOGIN_ACCOUNT_RATE_LIMIT": "100 per minute",
    "INVITE_RATE_LIMIT": "3 per minute",
    "INVITE_CODE_RATE_LIMIT": "100 per minute",
    "PROXY_FIX_HOPS": 1,
}


@pytest.fixture
def config_overrides():
    return dict(LIMITS)


@pytest.fixture
def resident(make_community, make_user):
    return make_user("resident1", make_community())


WRONG = "wrong password"


def _login(client, username="resident1", password=WRONG, real_ip="203.0.113.7", forged="1.2.3.4"):
    return client.post("/login", data={"username": username, "password": password},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"},  # the reverse proxy
                       headers={"X-Forwarded-For": f"{forged}, {real_ip}"})


def test_login_is_limited_per_address_with_a_clear_message(client, resident):
    for _i in range(3):
        assert _login(client).status_code == 401
    response = _login(client)
    assert response.status_code == 429
    assert "操作太频繁，请稍后再试" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) > 0


def test_a_forged_x_forwarded_for_does_not_reset_the_counter(client, resident):
    """With one proxy hop configured, only the address the proxy saw counts."""
    for i in range(3):
        assert _login(client, forged=f"198.51.100.{i}").status_code == 401
    assert _login(client, forged="198.51.100.99").status_code == 429
    assert _login(client, forged="", real_ip="203.0.113.7").status_code == 429
    # Another real client behind the same proxy has its own allowance.
    assert _login(client, real_ip="203.0.113.8").status_code == 401


@pytest.fixture
def per_account(app):
    app.config.update(LOGIN_RATE_LIMIT="100 per minute", LOGIN_ACCOUNT_RATE_LIMIT="3 per minute")


@pytest.mark.usefixtures("per_account")
def test_login_is_limited_per_account_from_any_address(client, resident, make_user):
    for i in range(3):
        assert _login(client, real_ip=f"203.0.113.{i}").status_code == 401
    assert _login(client, real_ip="203.0.113.50").status_code == 429
    # The limit is the account's, not the addresses': another name is still answered.
    assert _login(client, username="someone-else", real_ip="203.0.113.50").status_code == 401


@pytest.mark.usefixtures("per_account")
def test_successful_logins_do_not_use_up_the_account_allowance(app, resident):
    for _i in range(5):
        assert _login(app.test_client(), password=PASSWORD).status_code == 302


def _register(client, code="ABCD-EFGH", real_ip="203.0.113.7"):
    return client.post("/register", data={"code": code, "username": "newcomer", "password": "newcomer-2026",
                                          "confirm": "newcomer-2026"},
                       environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": real_ip})


def test_invite_redemption_is_limited_per_address(client):
    for i in range(3):
        assert _register(client, code=f"ABCD-EFG{i + 2}").status_code == 422
    assert _register(client, code="ABCD-EFG9").status_code == 429


def test_invite_redemption_is_limited_per_code(client, app):
    app.config.update(INVITE_RATE_LIMIT="100 per minute", INVITE_CODE_RATE_LIMIT="3 per minute")
    for i in range(3):
        assert _register(client, code="abcd efgh", real_ip=f"203.0.113.{i}").status_code == 422
    assert _register(client, code="ABCD-EFGH", real_ip="203.0.113.99").status_code == 429  # same code, spelt differently
    assert _register(client, code="ABCD-EFGJ", real_ip="203.0.113.99").status_code == 422


def test_the_api_answers_429_with_a_json_error_in_chinese(client, resident):
    statuses = []
    for _i in range(11):
        response = client.post("/api/v1/auth/token", json={"username": "resident1", "password": "wrong"},
                               environ_base={"REMOTE_ADDR": "10.0.0.1"}, headers={"X-Forwarded-For": "203.0.113.7"})
        statuses.append(response.status_code)
    assert statuses == [401] * 10 + [429]
    error = response.get_json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"] == "操作太频繁，请稍后再试"
    assert int(response.headers["Retry-After"]) > 0


def test_counters_are_shared_between_processes_through_redis(database_uri, redis_url, resident):
    """Two app instances (as two gunicorn workers would be) count in the same Redis buckets."""
    config = base_config(database_uri, **LIMITS, RATELIMIT_STORAGE_URI=redis_url,
                         RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    first, second = create_app(config), create_app(config)
    try:
        statuses = [_login(app.test_client()).status_code for app in (first, second, first, second)]
    finally:
        for app in (first, second):  # close their connections now, not whenever they are collected
            with app.app_context():
                db.engine.dispose()
    assert statuses == [401, 401, 401, 429]


@pytest.mark.parametrize("config_overrides", [{**LIMITS, "BALLOT_RATE_LIMIT": "2 per minute",
                                               "COMMENT_RATE_LIMIT": "2 per minute"}])
def test_ballots_and_comments_are_limited_per_user_across_pages_and_api(world, clients, config_overrides):
    client, bearer = clients["res_a"]
    vote = world.obj("A", "vote")
    statuses = [client.post(f"/api/v1/votes/{vote}/ballot", json={"choice": "agree"}, headers=bearer).status_code
                for _i in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429, statuses
    assert client.post(f"/votes/{vote}/ballot", data={"choice": "agree"}).status_code == 429  # same bucket
    consultation = world.obj("A", "consultation")
    statuses = [client.post(f"/api/v1/consultations/{consultation}/comments", json={"body": f"意见{i}"},
                            headers=bearer).status_code for i in range(2)]
    assert all(s < 400 for s in statuses), statuses
    response = client.post(f"/consultations/{consultation}/comments", data={"body": "第三条"})
    assert response.status_code == 429
    assert "操作太频繁" in response.get_data(as_text=True)
    # Another resident has an allowance of their own.
    other, other_bearer = clients["captain_a"]
    assert other.post(f"/api/v1/consultations/{consultation}/comments", json={"body": "我的意见"},
                      headers=other_bearer).status_code < 400


@pytest.mark.parametrize("config_overrides", [{**LIMITS, "BOOKING_RATE_LIMIT": "2 per hour"}])
def test_bookings_are_limited_per_user_across_pages_and_api(world, clients, config_overrides):
    client, bearer = clients["res_a"]
    room = world.obj("A", "room")
    day = (date.today() + timedelta(days=30)).isoformat()  # within the booking horizon
    body = {"title": "读书会", "attendance": 5, "starts_at": f"{day}T10:00:00+08:00",
            "ends_at": f"{day}T11:00:00+08:00"}
    statuses = [client.post(f"/api/v1/rooms/{room}/bookings", json=body, headers=bearer).status_code
                for _i in range(3)]
    assert 429 not in statuses[:2] and statuses[2] == 429, statuses
    assert client.get(f"/rooms/{room}/book").status_code == 200  # showing the form is not counted
    assert client.post(f"/rooms/{room}/book", data={"title": "读书会"}).status_code == 429  # same bucket
    other, other_bearer = clients["captain_a"]
    assert other.post(f"/api/v1/rooms/{room}/bookings", json=body, headers=other_bearer).status_code != 429
