"""Roles: an administrator makes an existing resident a moderator and removes a moderator; each change is
audited and the person told; nobody locks a community out."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.accounts import roles
from deliberation.accounts.models import Membership, Role
from deliberation.audit import AuditEvent
from deliberation.consultations.models import Notification
from deliberation.errors import Conflict, Forbidden, Invalid, NotFound


def _membership(session, user, community):
    return session.execute(select(Membership).where(Membership.user_id == user.id,
                                                    Membership.community_id == community.id)).scalar_one()


def test_admin_makes_a_resident_moderator_and_removes_them_again_on_the_page(client, login, session, make_user,
                                                                             community, secretary):
    make_user("guanli", community, role="admin")
    resident = make_user("wangayi", community)
    login("guanli")
    page = client.get(f"/communities/{community.id}/members").get_data(as_text=True)
    assert f'action="/communities/{community.id}/members/{resident.id}/role"' in page
    assert "设为主持人" in page

    response = client.post(f"/communities/{community.id}/members/{resident.id}/role", data={"role": "moderator"})
    assert response.status_code == 302
    assert "已任命 wangayi 为主持人" in client.get(response.headers["Location"]).get_data(as_text=True)
    session.expire_all()
    assert _membership(session, resident, community).role == Role.MODERATOR
    assert community.can_moderate(resident)

    response = client.post(f"/communities/{community.id}/members/{resident.id}/role", data={"role": "resident"})
    assert response.status_code == 302
    session.expire_all()
    assert _membership(session, resident, community).role == Role.RESIDENT

    events = session.execute(select(AuditEvent.action, AuditEvent.data).where(
        AuditEvent.action == "membership.role").order_by(AuditEvent.id)).all()
    assert [(e.data["role"], e.data["previous"], e.data["user_id"]) for e in events] == [
        ("moderator", "resident", resident.id), ("resident", "moderator", resident.id)]
    notes = session.execute(select(Notification.text, Notification.link).where(
        Notification.user_id == resident.id, Notification.kind == "role").order_by(Notification.id)).all()
    assert [n.text for n in notes] == ["guanli 已任命您为“银杏居民区”的主持人",
                                       "guanli 已撤销您在“银杏居民区”的主持人角色"]
    assert notes[0].link == f"/communities/{community.id}"


def test_a_moderator_sees_no_role_buttons_and_is_refused(client, login, make_user, community, secretary):
    resident = make_user("wangayi", community)
    login("shuji")
    assert "设为主持人" not in client.get(f"/communities/{community.id}/members").get_data(as_text=True)
    response = client.post(f"/communities/{community.id}/members/{resident.id}/role", data={"role": "moderator"})
    assert response.status_code == 403


def test_a_refusal_re_shows_the_members_page_with_what_to_do(client, login, make_user, community, secretary):
    make_user("zhanzhang", is_admin=True)
    login("zhanzhang")
    response = client.post(f"/communities/{community.id}/members/{secretary.id}/role", data={"role": "resident"})
    assert response.status_code == 409
    text = response.get_data(as_text=True)
    assert "shuji 是本居民区唯一的主持人，请先任命另一位主持人再撤销" in text
    assert "账号与角色" in text and "错误代码" not in text


# Who changes whose role, and what comes of it. Actors: the site administrator ("site"), the community's
# administrator ("cadmin"), a moderator ("mod"), a resident ("res"), the administrator of another community
# ("other"). Targets: a resident ("res"), the moderator ("mod"), the community administrator ("cadmin"),
# the actor themself ("self"), a member of another community ("outsider").
@pytest.mark.parametrize(("actor", "target", "role", "extra_moderator", "expected"), [
    pytest.param("site", "res", Role.MODERATOR, False, Role.MODERATOR, id="site_admin_makes_a_moderator"),
    pytest.param("cadmin", "res", Role.MODERATOR, False, Role.MODERATOR, id="community_admin_makes_a_moderator"),
    pytest.param("site", "mod", Role.RESIDENT, True, Role.RESIDENT, id="removes_a_moderator_when_another_is_left"),
    pytest.param("site", "mod", Role.RESIDENT, False, Conflict, id="never_the_last_moderator"),
    pytest.param("cadmin", "mod", Role.RESIDENT, False, Role.RESIDENT,
                 id="the_last_moderator_goes_when_the_community_has_its_own_admin"),
    pytest.param("mod", "res", Role.MODERATOR, False, Forbidden, id="a_moderator_cannot"),
    pytest.param("res", "res", Role.MODERATOR, False, Forbidden, id="a_resident_cannot"),
    pytest.param("other", "res", Role.MODERATOR, False, NotFound, id="another_communitys_admin_sees_nothing"),
    pytest.param("cadmin", "self", Role.RESIDENT, False, Conflict, id="never_oneself"),
    pytest.param("site", "mod", Role.MODERATOR, False, Conflict, id="already_a_moderator"),
    pytest.param("site", "res", Role.RESIDENT, False, Conflict, id="already_a_resident"),
    pytest.param("site", "cadmin", Role.RESIDENT, False, Conflict, id="an_administrator_is_not_changed_here"),
    pytest.param("site", "res", Role.ADMIN, False, Invalid, id="only_moderator_or_resident"),
    pytest.param("site", "outsider", Role.MODERATOR, False, NotFound, id="a_member_of_another_community"),
])
def test_who_may_change_which_role(session, make_user, community, other_community, actor, target, role,
                                   extra_moderator, expected):
    people = {
        "site": make_user("zhanzhang", is_admin=True),
        "mod": make_user("shuji", community, role="moderator"),
        "res": make_user("wangayi", community),
        "outsider": make_user("zhaojie", other_community),
        "other": make_user("bieren", other_community, role="admin"),
    }
    if extra_moderator:
        make_user("ganbu", community, role="moderator")
    if actor == "cadmin" or target == "cadmin":
        people["cadmin"] = make_user("guanli", community, role="admin")
    acting = people[actor]
    person = acting if target == "self" else people[target]
    membership = session.execute(select(Membership).where(Membership.user_id == person.id)).scalar_one()
    before = session.execute(select(AuditEvent.id).where(AuditEvent.action == "membership.role")).all()
    if isinstance(expected, type) and issubclass(expected, Exception):
        with pytest.raises(expected):
            roles.change_role(session, acting, community, membership, role)
        session.rollback()
        assert session.execute(select(AuditEvent.id).where(AuditEvent.action == "membership.role")).all() == before
        assert not session.execute(select(Notification.id).where(Notification.kind == "role")).all()
    else:
        roles.change_role(session, acting, community, membership, role)
        session.commit()
        assert membership.role == expected
        assert session.execute(select(Notification.user_id).where(Notification.kind == "role")).scalars().all() == [
            person.id]


def test_the_api_makes_and_removes_a_moderator_as_the_page_does(client, api_token, session, make_user, community,
                                                                secretary):
    make_user("guanli", community, role="admin")
    resident = make_user("wangayi", community)
    url = f"/api/v1/communities/{community.id}/members/{resident.id}/role"
    response = client.put(url, json={"role": "moderator"}, headers=api_token("guanli"))
    assert response.status_code == 200
    assert response.get_json() == {"community_id": community.id, "user_id": resident.id, "display_name": "wangayi",
                                   "role": "moderator"}
    assert client.put(url, json={"role": "resident"}, headers=api_token("guanli")).get_json()["role"] == "resident"
    refused = client.put(f"/api/v1/communities/{community.id}/members/{secretary.id}/role", json={"role": "resident"},
                         headers=api_token("shuji"))
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "forbidden"
    bad = client.put(url, json={"role": "admin"}, headers=api_token("guanli"))
    assert bad.status_code == 422 and "role" in bad.get_json()["error"]["fields"]
    notes = session.execute(select(Notification.id).where(Notification.user_id == resident.id,
                                                          Notification.kind == "role")).all()
    assert len(notes) == 2
