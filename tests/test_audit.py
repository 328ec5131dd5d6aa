"""The audit log: append-only, hash-chained, verified."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from deliberation import audit
from deliberation.accounts.models import Community


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
