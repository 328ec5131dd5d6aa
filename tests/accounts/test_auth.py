"""Signing in and out, invites, sessions and preferences."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from deliberation.accounts import passwords, services
from deliberation.accounts.models import Invite, Membership, Person, User
from deliberation.audit import AuditEvent
from tests.conftest import PASSWORD


def test_login_with_the_right_password_signs_in(client, make_user, community):
    make_user("resident1", community)
    response = client.post("/login", data={"username": "resident1", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(f"/communities/{community.id}").status_code == 200


@pytest.mark.parametrize(("username", "password"), [("resident1", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_user_name_and_wrong_password_get_the_same_answer(client, make_user, community, session,
                                                                username, password):
    make_user("resident1", community)
    response = client.post("/login", data={"username": username, "password": password})
    assert response.status_code == 401
    assert "用户名或密码不正确" in response.get_data(as_text=True)
    assert 'value="' + username + '"' in response.get_data(as_text=True)  # what was typed is kept
    assert session.execute(select(func.count()).where(AuditEvent.action == "auth.login_failed")).scalar() == 1


def test_login_does_not_redirect_off_site(client, make_user, community):
    make_user("resident1", community)
    response = client.post("/login", data={"username": "resident1", "password": PASSWORD,
                                           "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


def test_password_is_hashed_with_argon2id_and_rehashed_when_parameters_change(client, make_user, community,
                                                                              session):
    user = make_user("resident1", community)
    assert user.password_hash.startswith("$argon2id$")
    # Pretend the stored hash was made with older parameters.
    passwords.use_fast_hashing(False)
    old = passwords.hash_password(PASSWORD)
    passwords.use_fast_hashing(True)
    user.password_hash = old
    session.commit()
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    session.refresh(user)
    assert user.password_hash != old
    assert passwords.verify_password(user.password_hash, PASSWORD)


def test_session_token_rotation_signs_out_old_cookies(app, make_user, community, session):
    make_user("resident1", community)
    phone, laptop = app.test_client(), app.test_client()
    for c in (phone, laptop):
        c.post("/login", data={"username": "resident1", "password": PASSWORD})
    assert phone.post("/account/logout-everywhere").status_code == 302
    assert laptop.get(f"/communities/{community.id}").status_code == 302  # back to the login page


def test_change_password_keeps_this_session_and_ends_others(app, make_user, community):
    make_user("resident1", community)
    here, there = app.test_client(), app.test_client()
    for c in (here, there):
        c.post("/login", data={"username": "resident1", "password": PASSWORD})
    response = here.post("/account", data={"old_password": PASSWORD, "new_password": "another secret",
                                           "confirm": "another secret"})
    assert response.status_code == 302
    assert here.get("/account").status_code == 200
    assert there.get("/account").status_code == 302


def test_session_survives_a_change_of_network(client, make_user, community):
    make_user("resident1", community)
    client.post("/login", data={"username": "resident1", "password": PASSWORD},
                environ_base={"REMOTE_ADDR": "10.0.0.2"})
    response = client.get(f"/communities/{community.id}", environ_base={"REMOTE_ADDR": "100.64.3.9"},
                          headers={"User-Agent": "werkzeug"})
    assert response.status_code == 200


def _issue(client, community, person_ids):
    response = client.post(f"/communities/{community.id}/invites", data={"person_id": person_ids})
    assert response.status_code == 200
    return re.findall(r'data-code="([A-Z0-9-]+)"', response.get_data(as_text=True))


def test_invite_registers_a_resident_once(client, login, secretary, community, session):
    person = Person(community=community, name="李桂兰", tenure="owner", birth_year=1950)
    session.add(person)
    session.commit()
    login("shuji")
    [code] = _issue(client, community, [person.id])
    page = client.get(f"/register?code={code}")
    assert code in page.get_data(as_text=True)
    client.post("/logout")
    response = client.post("/register", data={"code": code.lower().replace("-", " "), "username": "guilan",
                                              "password": "guilan-2026", "confirm": "guilan-2026"})
    assert response.status_code == 302
    user = session.execute(select(User).where(User.username == "guilan")).scalar_one()
    assert user.person_id == person.id
    assert session.execute(select(Membership.role).where(Membership.user_id == user.id)).scalar() == "resident"
    client.post("/logout")
    again = client.post("/register", data={"code": code, "username": "guilan2", "password": "guilan-2026",
                                           "confirm": "guilan-2026"})
    assert again.status_code == 422
    assert "已被使用" in again.get_data(as_text=True)
    assert session.execute(select(func.count(User.id))).scalar() == 2


def test_expired_or_unknown_invite_is_refused_and_writes_nothing(client, login, secretary, community, session):
    from datetime import timedelta

    from deliberation.db import utcnow

    person = Person(community=community, name="张伟", tenure="tenant")
    session.add(person)
    session.commit()
    login("shuji")
    [code] = _issue(client, community, [person.id])
    client.post("/logout")
    session.execute(Invite.__table__.update().values(expires_at=utcnow() - timedelta(days=1)))
    session.commit()
    for attempt, message in ((code, "已过期"), ("ABCD-EFGH", "无效")):
        response = client.post("/register", data={"code": attempt, "username": "zhangwei",
                                                  "password": "zhangwei-2026", "confirm": "zhangwei-2026"})
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    assert session.execute(select(func.count(User.id))).scalar() == 1


def test_invite_slip_has_a_scannable_qr_code(client, login, secretary, community, session):
    person = Person(community=community, name="王芳", tenure="family")
    session.add(person)
    session.commit()
    login("shuji")
    response = client.post(f"/communities/{community.id}/invites", data={"person_id": [person.id]})
    html = response.get_data(as_text=True)
    assert "<svg" in html and "王芳" in html
    assert "style=" not in html.split("<main", 1)[1]  # the CSP allows no inline styles


def test_care_mode_and_language_are_remembered_for_the_user(app, client, login, make_user, community, session):
    user = make_user("resident1", community)
    login("resident1")
    client.post("/preferences/care", data={})
    client.post("/preferences/language", data={"lang": "en"})
    other_device = app.test_client()
    other_device.post("/login", data={"username": "resident1", "password": PASSWORD})
    html = other_device.get("/account").get_data(as_text=True)
    assert '<html lang="en" class="care">' in html
    assert "Change password" in html
    session.refresh(user)
    assert user.care_mode is True and user.locale == "en"


def test_care_mode_turned_on_before_signing_in_stays_on_after(client, make_user, community, session):
    user = make_user("resident1", community)
    client.post("/preferences/care", data={"next": "/login"})  # on the welcome page, not signed in yet
    assert 'class="care"' in client.get("/login").get_data(as_text=True)
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    assert 'class="care"' in client.get("/account").get_data(as_text=True)
    session.refresh(user)
    assert user.care_mode is True
    event = session.execute(select(AuditEvent).where(AuditEvent.action == "user.preferences")).scalar_one()
    assert (event.actor_id, event.data["care_mode"]) == (user.id, True)


def test_signing_in_without_care_mode_keeps_the_users_own_preference(client, make_user, community, session):
    user = make_user("resident1", community)
    user.care_mode = True
    session.commit()
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    assert 'class="care"' in client.get("/account").get_data(as_text=True)
    assert session.execute(select(func.count()).where(AuditEvent.action == "user.preferences")).scalar() == 0


@pytest.mark.parametrize("config_overrides", [{"WTF_CSRF_ENABLED": True}])
def test_a_form_post_without_csrf_token_is_refused(client, make_user, community, session):
    make_user("resident1", community)
    response = client.post("/login", data={"username": "resident1", "password": PASSWORD})
    assert response.status_code == 400
    assert "请刷新页面" in response.get_data(as_text=True)
    assert session.execute(select(func.count()).where(AuditEvent.action == "auth.login")).scalar() == 0


def test_security_headers_forbid_inline_script_and_framing(client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_services_refuse_a_short_password(session):
    from deliberation.errors import Invalid

    with pytest.raises(Invalid):
        services.create_user(session, None, "someone", "short", "someone")
