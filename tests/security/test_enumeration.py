"""No account enumeration: an unknown user name and a wrong password look alike (ASVS V6.3.8)."""

from __future__ import annotations

import statistics
import time

import pytest


@pytest.fixture
def resident(make_community, make_user):
    return make_user("resident1", make_community())


def _normalised(response, username: str) -> str:
    return response.get_data(as_text=True).replace(username, "NAME")


def test_login_answers_an_unknown_name_and_a_wrong_password_alike(client, resident):
    unknown = client.post("/login", data={"username": "nobody-at-all", "password": "wrong password 1"})
    wrong = client.post("/login", data={"username": "resident1", "password": "wrong password 1"})
    assert unknown.status_code == wrong.status_code == 401
    assert _normalised(unknown, "nobody-at-all") == _normalised(wrong, "resident1")


def test_the_api_answers_an_unknown_name_and_a_wrong_password_alike(client, resident):
    unknown = client.post("/api/v1/auth/token", json={"username": "nobody-at-all", "password": "x"})
    wrong = client.post("/api/v1/auth/token", json={"username": "resident1", "password": "x"})
    assert unknown.status_code == wrong.status_code == 401
    assert unknown.get_json() == wrong.get_json()


@pytest.mark.parametrize("config_overrides", [{"PASSWORD_HASHING": "argon2id"}])
def test_login_takes_as_long_for_an_unknown_name_as_for_a_wrong_password(app, client, resident, config_overrides):
    """With the production hasher, an unknown name costs one verification of a dummy hash."""
    from deliberation.accounts import passwords

    assert passwords._active is passwords._hasher  # the real argon2id parameters
    client.post("/login", data={"username": "nobody", "password": "warm up the dummy hash"})
    unknown, wrong = [], []
    for i in range(4):
        for name, times in ((f"nobody-{i}", unknown), ("resident1", wrong)):
            started = time.perf_counter()
            response = client.post("/login", data={"username": name, "password": "wrong password"})
            times.append(time.perf_counter() - started)
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


@pytest.mark.parametrize("name", ["nul\x00name", "长" * 300])
def test_impossible_user_names_are_answered_as_unknown(client, resident, name):
    assert client.post("/api/v1/auth/token", json={"username": name[:50], "password": "x"}).status_code == 401
    assert client.post("/login", data={"username": name, "password": "x"}).status_code in (401, 422)
