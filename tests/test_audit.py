"""The audit log: append-only, hash-chained, verified."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from deliberation import audit
from deliberation.accounts.models import Community
from deliberation.audit import AuditEvent
from tests.conftest import PASSWORD


@pytest.fixture
def events(session, make_user):
    admin = make_user("admin", None, is_admin=True)
    community = Community(name="银杏居民区")
    session.add(community)
    for i in range(3):
        audit.record(session, admin, "test.event", community, n=i)
    session.commit()
    return admin


def test_an_untouched_chain_verifies(app, events):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0 and "完好" in result.output


def _tamper(session, is_postgres, sql):
    if is_postgres:
        session.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
    session.execute(text(sql))
    if is_postgres:
        session.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))
    session.commit()


@pytest.mark.parametrize("sql", [
    "UPDATE audit_events SET action = 'test.forged' WHERE id = 3",
    "DELETE FROM audit_events WHERE id = 2",
    "UPDATE audit_events SET id = CASE id WHEN 2 THEN 1002 WHEN 3 THEN 2 END WHERE id IN (2, 3)",
])
def test_verify_finds_an_edited_deleted_or_reordered_event(app, session, events, is_postgres, sql):
    _tamper(session, is_postgres, sql)
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 1
    assert "篡改" in result.output


def test_postgres_refuses_to_change_an_event(session, events, is_postgres):
    if not is_postgres:
        pytest.skip("the trigger exists on PostgreSQL")
    from sqlalchemy.exc import DBAPIError

    with pytest.raises(DBAPIError, match="append-only"):
        session.execute(text("DELETE FROM audit_events WHERE id = 1"))
    session.rollback()


def test_no_password_reaches_the_audit_log(client, make_user, session):
    make_user("resident1", None)
    client.post("/login", data={"username": "resident1", "password": "a secret that is wrong"})
    rows = session.execute(text("SELECT data FROM audit_events")).scalars().all()
    assert rows and not any("a secret" in str(row) for row in rows)


def _actions(session) -> list[tuple[str, dict]]:
    return [(row.action, row.data) for row in session.execute(
        select(AuditEvent).order_by(AuditEvent.id)).scalars()]


def test_logins_role_changes_and_refused_access_are_audited(client, app, session, make_user, make_community):
    from deliberation.accounts import services
    from deliberation.accounts.models import Role

    a, b = make_community("银杏居民区"), make_community("梧桐居民区")
    make_user("resident1", a)
    outsider = make_user("outsider", b)
    admin = make_user("root", None, is_admin=True)
    client.post("/login", data={"username": "resident1", "password": "not it"})
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    services.grant_role(session, admin, a, outsider, Role.MODERATOR)
    session.commit()
    client.post("/logout")
    # A resident of A asks for B's API and pages, and for A's roster: refused, each refusal recorded.
    headers = {"Authorization": "Bearer " + client.post(
        "/api/v1/auth/token", json={"username": "resident1", "password": PASSWORD}).get_json()["token"]}
    assert client.get(f"/api/v1/communities/{b.id}", headers=headers).status_code == 404
    client.post("/login", data={"username": "resident1", "password": PASSWORD})
    assert client.get(f"/communities/{b.id}/roster").status_code == 404
    assert client.get(f"/communities/{a.id}/roster").status_code == 403
    events = _actions(session)
    actions = [action for action, _data in events]
    assert "auth.login_failed" in actions and "auth.login" in actions
    assert actions.count("membership.grant") == 1
    grant = next(data for action, data in events if action == "membership.grant")
    assert grant["role"] == "moderator" and grant["user_id"] == outsider.id
    refused = [data for action, data in events if action == "access.refused"]
    assert [(r["endpoint"], r["status"]) for r in refused] == [
        ("api_accounts.community", 404), ("accounts.roster", 404), ("accounts.roster", 403)]
    assert audit.verify(session).ok


def test_no_password_or_token_reaches_the_audit_log_or_the_logs(client, session, make_user, make_community,
                                                                caplog):
    import logging
    import re

    from deliberation.accounts.models import Person, User

    caplog.set_level(logging.DEBUG)
    community = make_community("银杏居民区")
    make_user("shuji", community, role="moderator")
    person = Person(community=community, name="李桂兰", tenure="owner")
    session.add(person)
    session.commit()
    secrets = ["a wrong secret 1", PASSWORD, "brand-new secret 2", "guilan-secret-3"]
    client.post("/login", data={"username": "shuji", "password": secrets[0]})
    client.post("/login", data={"username": "shuji", "password": PASSWORD})
    slips = client.post(f"/communities/{community.id}/invites", data={"person_id": [person.id]})
    [code] = re.findall(r'data-code="([A-Z0-9-]+)"', slips.get_data(as_text=True))
    client.post("/account", data={"old_password": PASSWORD, "new_password": secrets[2], "confirm": secrets[2]})
    token = client.post("/api/v1/auth/token", json={"username": "shuji", "password": secrets[2]}).get_json()["token"]
    client.post("/logout")
    client.post("/register", data={"code": code, "username": "guilan", "password": secrets[3],
                                   "confirm": secrets[3]})
    session_tokens = session.execute(select(User.session_token)).scalars().all()
    stored = " ".join(str(data) for _action, data in _actions(session))
    for secret in [*secrets, code, code.replace("-", ""), token, *session_tokens]:
        assert secret not in stored, secret
        assert secret not in caplog.text, secret
    assert {"auth.login_failed", "auth.login", "invite.redeem"} <= {action for action, _d in _actions(session)}


# -- the keyed chain and its anchors (ASVS 5.0: 16.4.2 logs protected from modification) ---------

def _verify(app, *heads: str):
    args = ["audit", "verify"] + [a for h in heads for a in ("--head", h)]
    return app.test_cli_runner().invoke(args=args)


def _anchor(app, chain: str = "银杏居民区的链") -> str:
    """Anchor every chain; the head printed for one of them."""
    result = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert result.exit_code == 0 and "链头已锚定" in result.output
    heads = dict(line.removeprefix("链头已锚定（").split("）：") for line in result.output.splitlines())
    return heads[chain]


def _as_superuser(session, is_postgres, *statements):
    """What an attacker with the database's keys (not the app's) could do: triggers switched off."""
    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    for statement in statements:
        session.execute(text(statement))
    session.commit()


def test_events_carry_a_mac_under_a_key_outside_the_database(app, session, events):
    rows = session.execute(select(AuditEvent.hash, AuditEvent.mac)).all()
    assert rows and all(m == audit.mac(h) and m != h for h, m in rows)
    assert app.config["AUDIT_KEY"] not in str(session.execute(text("SELECT * FROM audit_events")).all())


def test_a_chain_recomputed_without_the_key_fails(app, session, events, is_postgres):
    """Rewrite event 2 and every hash after it, as someone with the database but not AUDIT_KEY could."""
    rows = session.execute(select(AuditEvent).order_by(AuditEvent.id)).scalars().all()
    prev, updates = audit.GENESIS, []
    for event in rows:
        data = {"n": 99} if event.id == 2 else event.data
        digest = audit._digest(prev, event.created_at, event.actor_id, event.community_id, event.action,
                               event.object_type, event.object_id, data)
        updates.append((event.id, prev, digest, data))
        prev = digest
    session.expunge_all()
    import json

    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    for i, p, h, d in updates:
        session.execute(text("UPDATE audit_events SET prev_hash = :p, hash = :h, data = :d WHERE id = :i"),
                        {"p": p, "h": h, "d": json.dumps(d), "i": i})
    session.commit()
    result = _verify(app)
    assert result.exit_code == 1
    assert "校验码不符" in result.output and "事件 2" in result.output
    assert "内容与其哈希不符" not in result.output  # the chain itself holds: only the key tells


@pytest.mark.parametrize(("attack", "words"), [
    ("DELETE FROM audit_events WHERE id > 2", "末尾被截去"),
    ("DELETE FROM audit_events", "日志被清空"),
    ("DELETE FROM audit_anchors; DELETE FROM audit_events WHERE id > 2", "末尾被截去"),  # the file remembers
])
def test_a_cut_tail_or_an_emptied_log_is_reported_from_the_anchors(app, session, events, is_postgres, attack, words):
    _anchor(app)
    assert _verify(app).exit_code == 0
    _as_superuser(session, is_postgres, *attack.split("; "))
    result = _verify(app)
    assert result.exit_code == 1 and words in result.output, result.output


def test_a_printed_head_is_checked_even_when_every_anchor_is_gone(app, session, events, is_postgres, tmp_path):
    printed = _anchor(app)
    last = session.execute(select(AuditEvent.id, AuditEvent.hash).order_by(AuditEvent.id.desc())).first()  # the community's
    assert printed == f"#{last.id} {last.hash[:16]}"
    import os

    os.remove(app.config["AUDIT_ANCHOR_FILE"])
    _as_superuser(session, is_postgres, "DELETE FROM audit_anchors", "DELETE FROM audit_events WHERE id > 2")
    assert _verify(app).exit_code == 0  # nothing left to compare with…
    result = _verify(app, printed)  # …but the head printed on the minutes
    assert result.exit_code == 1 and "末尾被截去" in result.output


def test_a_forged_anchor_is_reported(app, session, events, is_postgres):
    _anchor(app)
    _as_superuser(session, is_postgres, "UPDATE audit_anchors SET event_id = 1")
    result = _verify(app)
    assert result.exit_code == 1 and "锚点被伪造" in result.output


def test_postgres_refuses_truncate_of_the_log_and_its_anchors(session, events, is_postgres):
    if not is_postgres:
        pytest.skip("the triggers exist on PostgreSQL")
    from sqlalchemy.exc import DBAPIError

    for table in ("audit_events", "audit_anchors"):
        with pytest.raises(DBAPIError, match="append-only"):
            session.execute(text(f"TRUNCATE {table}"))
        session.rollback()


def test_the_apps_role_cannot_truncate_update_or_delete_the_log_after_restrict_role(app, session, events,
                                                                                     is_postgres):
    """`flask audit restrict-role ROLE` (run by the tables' owner): the app's role still reads and appends,
    and is refused TRUNCATE, UPDATE and DELETE by the database's privileges, before any trigger."""
    if not is_postgres:
        pytest.skip("roles exist on PostgreSQL")
    import uuid

    from sqlalchemy import create_engine
    from sqlalchemy.exc import ProgrammingError

    role = f"deliberation_app_{uuid.uuid4().hex[:8]}"
    recorded = session.execute(text("SELECT count(*) FROM audit_events")).scalar()
    session.execute(text(f'CREATE ROLE "{role}" LOGIN'))
    session.commit()
    engine = create_engine(db_url := session.get_bind().url.set(username=role, password=None))
    try:
        result = app.test_cli_runner().invoke(args=["audit", "restrict-role", role])
        assert result.exit_code == 0, result.output
        assert "REVOKE UPDATE, DELETE, TRUNCATE" in result.output
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM audit_events")).scalar() == recorded
            conn.execute(text("SELECT count(*) FROM communities"))
            for statement in ("TRUNCATE audit_events", "TRUNCATE audit_anchors", "DELETE FROM audit_events",
                              "UPDATE audit_events SET action = 'x'", "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                              "DROP TRIGGER audit_events_no_truncate ON audit_events"):
                with pytest.raises(ProgrammingError, match="permission denied|must be owner"):
                    conn.execute(text(statement))
                conn.rollback()
        # The app itself, connected as that role, goes on recording events.
        from deliberation import create_app
        from tests.conftest import base_config

        other = create_app(base_config(db_url.render_as_string(hide_password=False),
                                       AUDIT_KEY=app.config["AUDIT_KEY"]))
        with other.app_context():
            from deliberation.extensions import db as other_db

            community = other_db.session.execute(select(Community)).scalars().first()
            audit.record(other_db.session, None, "test.after_restrict", community)
            other_db.session.commit()
            assert audit.verify(other_db.session).ok
            other_db.session.remove()
            other_db.engine.dispose()
    finally:
        engine.dispose()
        session.rollback()
        session.execute(text(f'DROP OWNED BY "{role}"'))
        session.execute(text(f'DROP ROLE "{role}"'))
        session.commit()


def test_restrict_role_refuses_the_tables_owner_and_sqlite(app, session, is_postgres):
    owner = session.execute(text("SELECT current_user")).scalar() if is_postgres else "anyone"
    result = app.test_cli_runner().invoke(args=["audit", "restrict-role", owner])
    assert result.exit_code != 0
    assert ("所有者" if is_postgres else "SQLite") in result.output
