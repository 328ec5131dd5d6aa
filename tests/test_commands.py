"""Commands: migrations both ways, the demo, create-admin."""

from __future__ import annotations

import time

from flask_migrate import downgrade, upgrade
from sqlalchemy import func, inspect, select

from deliberation.accounts.models import Person, User
from deliberation.extensions import db
from deliberation.web import migrations


def test_migrations_downgrade_to_nothing_and_upgrade_again(app):
    migrations()
    downgrade(revision="base")
    assert "users" not in inspect(db.engine).get_table_names()
    upgrade(revision="heads")
    assert {"users", "persons", "audit_events"} <= set(inspect(db.engine).get_table_names())


def test_demo_loads_a_believable_neighbourhood_quickly(app, session):
    """Quickly, in the work it does: this process's CPU time, which a machine busy with other runs
    does not inflate as it does the wall clock (the 20 s target is measured in bench/, idle)."""
    started = time.process_time()
    result = app.test_cli_runner().invoke(args=["demo"])
    cpu_seconds = time.process_time() - started
    assert result.exit_code == 0, result.output
    for username in ("admin", "shuji", "resident1", "resident2"):
        assert username in result.output
    living = session.execute(select(func.count(Person.id)).where(Person.community_id == 1,
                                                                  Person.household_id.is_not(None))).scalar()
    tenants = session.execute(select(func.count(Person.id)).where(Person.community_id == 1,
                                                                   Person.tenure == "tenant")).scalar()
    registered = living - tenants
    elderly = session.execute(select(func.count(Person.id)).where(
        Person.community_id == 1, Person.household_id.is_not(None), Person.tenure != "tenant",
        Person.birth_year <= 1966)).scalar()
    assert 7000 <= living <= 8000
    assert 0.6 <= tenants / living <= 0.72
    assert 0.35 <= elderly / registered <= 0.45
    assert cpu_seconds < 60, cpu_seconds
    again = app.test_cli_runner().invoke(args=["demo"])
    assert again.exit_code != 0  # never loads twice
    assert app.test_cli_runner().invoke(args=["demo", "--if-empty"]).exit_code == 0


def test_create_admin(app, session):
    result = app.test_cli_runner().invoke(args=["create-admin", "root2"], input="long-enough-pw\nlong-enough-pw\n")
    assert result.exit_code == 0, result.output
    assert session.execute(select(User.is_admin).where(User.username == "root2")).scalar() is True
    short = app.test_cli_runner().invoke(args=["create-admin", "root3"], input="short\nshort\n")
    assert short.exit_code != 0 and "密码" in short.output
