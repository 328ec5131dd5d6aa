"""No account enumeration: an unknown user name and a wrong password look alike (ASVS V6.3.8)."""

from __future__ import annotations

import re
import statistics
import time

import pytest


@pytest.fixture
def resident(make_community, make_user):
    return make_user("resident1", make_community())


CSRF_TOKEN = re.compile(r'(name="csrf_token" value=")[^"]*(")')


def _as_seen(app, response, username: str) -> tuple:
    """Everything a person gets back from a sign-in, with the name they typed taken out and the
    CSRF token masked: a token is random for each visitor and signed with the second it was made,
    so it tells nothing about the name, but it differs between two answers a second apart."""
    body = CSRF_TOKEN.sub(r"\1TOKEN\2", response.get_data(as_text=True)).replace(username, "NAME")
    headers = sorted((k, v) for k, v in response.headers.items() if k not in ("Content-Length", "Set-Cookie"))
    serializer = app.session_interface.get_signing_serializer(app)
    cookies = []
    for cookie in response.headers.getlist("Set-Cookie"):
        name_value, *attributes = cookie.split("; ")
        name, value = name_value.split("=", 1)
        if name == app.config["SESSION_COOKIE_NAME"]:  # signed, not encrypted: anyone can read it
            value = {k: "TOKEN" if k == "csrf_token" else v for k, v in serializer.loads(value).items()}
        cookies.append((name, value, sorted(attributes)))
    return response.status_code, headers, sorted(cookies, key=repr), body


def test_login_answers_an_unknown_name_and_a_wrong_password_alike(app, resident):
    """Two visitors, one typing a name nobody has and one a resident's name with a wrong password,
    get the same status, headers, cookie and page (each from a fresh browser, so neither carries
    the other's visit)."""
    unknown = app.test_client().post("/login", data={"username": "nobody-at-all", "password": "wrong password 1"})
    wrong = app.test_client().post("/login", data={"username": "resident1", "password": "wrong password 1"})
    assert unknown.status_code == wrong.status_code == 401
    assert CSRF_TOKEN.search(unknown.get_data(as_text=True))  # the mask has something to hide
    assert _as_seen(app, unknown, "nobody-at-all") == _as_seen(app, wrong, "resident1")


def test_the_api_answers_an_unknown_name_and_a_wrong_password_alike(client, resident):
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody-at-all", "password": "x"})
    wrong = client.post("/api/v1/auth/token", json={"username": "resident1", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


@pytest.mark.parametrize("config_overrides", [{"PASSWORD_HASHING": "argon2id"}])
def test_login_takes_as_long_for_an_unknown_name_as_for_a_wrong_password(app, client, resident, config_overrides):
    """With the production hasher, an unknown name costs one verification of a dummy hash.

    Measured as the CPU time of this thread (the test client runs the request in it, and argon2id
    with p=1 hashes in the calling thread), the two kinds interleaved: the work done, not the
    wall clock, which on a busy machine wobbles with whatever else runs."""
    from deliberation.accounts import passwords

    assert passwords._active is passwords._hasher  # the real argon2id parameters
    client.post("/login", data={"username": "nobody", "password": "warm up the dummy hash"})
    unknown, wrong = [], []
    for i in range(5):
        for name, times in ((f"nobody-{i}", unknown), ("resident1", wrong)):
            started = time.thread_time()
            response = client.post("/login", data={"username": name, "password": "wrong password"})
            times.append(time.thread_time() - started)
            assert response.status_code == 401
    ratio = statistics.median(unknown) / statistics.median(wrong)
    assert 0.5 < ratio < 2.0, (unknown, wrong)


def test_invite_codes_unknown_used_or_expired_get_the_same_status(client, make_community, make_user, session):
    """Invite answers say what is wrong with the code the person holds (a used or expired code
    is worthless), with one status; none of them names an account."""
    from datetime import timedelta

    from deliberation.accounts import services
    from deliberation.accounts.models import Person
    from deliberation.db import utcnow

    community = make_community("梧桐居民区")
    moderator = make_user("shuji", community, role="moderator")
    people = [Person(community=community, name=f"居民{i}", tenure="owner") for i in range(2)]
    session.add_all(people)
    session.flush()
    (used, used_code), (expired, expired_code) = services.issue_invites(session, moderator, community, people,
                                                                        timedelta(days=1))
    used.used_at = utcnow()
    expired.expires_at = utcnow() - timedelta(days=1)
    session.commit()
    answers = []
    for code in (used_code, expired_code, "ABCD-EFGH"):
        started = time.perf_counter()
        response = client.post("/register", data={"code": code, "username": "newcomer",
                                                  "password": "newcomer-2026", "confirm": "newcomer-2026"})
        answers.append((response.status_code, time.perf_counter() - started))
        text = response.get_data(as_text=True)
        assert "居民0" not in text and "居民1" not in text  # never whom the code was for
    assert {status for status, _t in answers} == {422}


def test_impossible_user_names_are_answered_as_unknown(client, resident):
    name = "长" * 300
    assert client.post("/api/v1/auth/token", json={"username": name[:50], "password": "x"}).status_code == 401
    assert client.post("/login", data={"username": name, "password": "x"}).status_code in (401, 422)


@pytest.mark.parametrize("name", ["nul\x00name", "resident1\x00"])
def test_a_name_with_a_nul_is_refused_before_any_account_is_looked_up(client, resident, name):
    """Refused for its NUL (deliberation.inputs), the same whether or not the account exists."""
    assert client.post("/api/v1/auth/token", json={"username": name, "password": "x"}).status_code == 400
    assert client.post("/login", data={"username": name, "password": "x"}).status_code == 400
