"""Signing out ends the sign-in on the server; API tokens are listed, revocable and end with the
password (ASVS 5.0: 7.4.1 logout ends the session, 7.4.3 every session ends with the password, 7.5.2 active
sessions and tokens listed and revocable)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from deliberation.accounts.models import ApiToken, SignIn
from deliberation.audit import AuditEvent
from deliberation.db import utcnow
from tests.conftest import PASSWORD


@pytest.fixture
def resident(make_user, community):
    return make_user("resident1", community)


def _replayed(app, name: str, value: str) -> int:
    """The status of /account for a fresh browser carrying only the saved cookie."""
    thief = app.test_client()
    thief.set_cookie(name, value, domain="localhost")
    return thief.get("/account").status_code


@pytest.mark.parametrize("cookie", ["session", "remember_token"])
def test_a_cookie_saved_before_signing_out_signs_nobody_in_afterwards(app, resident, cookie):
    client = app.test_client()
    client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"})
    saved = client.get_cookie(cookie).value
    assert _replayed(app, cookie, saved) == 200  # before signing out the cookie works on its own
    assert client.post("/logout").status_code == 302
    assert _replayed(app, cookie, saved) == 302  # sent to the sign-in page


def test_signing_out_ends_only_this_browser(app, resident):
    phone, desktop = app.test_client(), app.test_client()
    for browser in (phone, desktop):
        browser.post("/login", data={"username": "resident1", "password": PASSWORD})
    phone.post("/logout")
    assert phone.get("/account").status_code == 302
    assert desktop.get("/account").status_code == 200


def test_the_cookie_carries_a_sign_in_key_never_the_lasting_token(app, resident, session):
    client = app.test_client()
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    with client.session_transaction() as s:
        key = s["_user_id"]
    session.refresh(resident)
    assert key != resident.session_token
    stored = session.execute(select(SignIn.key_hash)).scalars().all()
    assert len(stored) == 1 and key not in stored  # only its hash is kept


def test_a_sign_in_older_than_the_absolute_lifetime_is_refused_even_with_a_remember_cookie(app, resident, session):
    client = app.test_client()
    client.post("/login", data={"username": "resident1", "password": PASSWORD, "remember": "y"})
    remember = client.get_cookie("remember_token").value
    session.execute(SignIn.__table__.update().values(created_at=utcnow() - timedelta(days=31)))
    session.commit()
    assert _replayed(app, "remember_token", remember) == 302


def test_signing_in_again_removes_ended_sign_ins(app, resident, session):
    client = app.test_client()
    for _ in range(3):
        client.post("/login", data={"username": "resident1", "password": PASSWORD})
        client.post("/logout")
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    rows = session.execute(select(SignIn.ended_at)).scalars().all()
    assert rows == [None]


# -- API tokens --------------------------------------------------------------------------------

def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _new_token(client, username: str = "resident1") -> str:
    response = client.post("/api/v1/auth/token", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200
    return response.get_json()["token"]


def test_tokens_are_listed_with_their_last_use(app, client, resident, login):
    used, unused = _new_token(client), _new_token(client)
    assert client.get("/api/v1/me", headers=_bearer(used)).status_code == 200
    listed = client.get("/api/v1/tokens", headers=_bearer(used)).get_json()
    assert len(listed) == 2
    by_use = sorted(t["last_used_at"] is None for t in listed)
    assert by_use == [False, True]  # the used one has a last use, the other none
    login("resident1")
    page = client.get("/account").get_data(as_text=True)
    assert page.count("最近使用") == 1 and page.count("尚未使用") == 1
    assert unused not in page and used not in page  # the page never shows a token itself


def test_the_last_use_is_written_at_most_once_per_few_minutes(client, resident, session):
    token = _new_token(client)
    for _ in range(3):
        assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    first = session.execute(select(ApiToken.last_used_at)).scalar()
    assert first is not None
    session.execute(ApiToken.__table__.update().values(last_used_at=first - timedelta(minutes=6)))
    session.commit()
    client.get("/api/v1/me", headers=_bearer(token))
    session.expire_all()
    assert session.execute(select(ApiToken.last_used_at)).scalar() > first - timedelta(minutes=6)


@pytest.mark.parametrize("where", ["api", "page"])
def test_a_revoked_token_is_refused(client, resident, login, session, where):
    keep, revoke = _new_token(client), _new_token(client)
    ids = {t["id"] for t in client.get("/api/v1/tokens", headers=_bearer(keep)).get_json()}
    assert client.get("/api/v1/me", headers=_bearer(revoke)).status_code == 200
    revoke_id = max(ids)  # tokens are numbered in the order they were issued
    if where == "api":
        assert client.delete(f"/api/v1/tokens/{revoke_id}", headers=_bearer(keep)).status_code == 204
    else:
        login("resident1")
        assert client.post(f"/account/tokens/{revoke_id}/revoke").status_code == 302
    assert client.get("/api/v1/me", headers=_bearer(revoke)).status_code == 401
    assert client.get("/api/v1/me", headers=_bearer(keep)).status_code == 200
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "auth.token_revoked")).scalar_one()
    assert event.data["token_id"] == revoke_id


def test_another_users_token_cannot_be_revoked(client, resident, make_user, community, session):
    make_user("neighbour", community)
    mine, theirs = _new_token(client), _new_token(client, "neighbour")
    their_id = max(t["id"] for t in client.get("/api/v1/tokens", headers=_bearer(theirs)).get_json())
    response = client.delete(f"/api/v1/tokens/{their_id}", headers=_bearer(mine))
    assert response.status_code == 404 and response.get_json()["error"]["message"] == "找不到该访问令牌"
    assert client.get("/api/v1/me", headers=_bearer(theirs)).status_code == 200


@pytest.mark.parametrize("how", ["logout_everywhere", "password_change"])
def test_tokens_end_with_logout_everywhere_and_a_password_change(client, resident, login, session, how):
    token = _new_token(client)
    login("resident1")
    if how == "logout_everywhere":
        assert client.post("/account/logout-everywhere").status_code == 302
    else:
        response = client.post("/account", data={"old_password": PASSWORD, "new_password": "another secret 2",
                                                 "confirm": "another secret 2"})
        assert response.status_code == 302
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401
    assert session.execute(select(ApiToken)).first() is None
