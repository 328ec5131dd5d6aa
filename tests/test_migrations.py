"""The migrations are the schema: one head, and nothing in the models that they do not create."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate, downgrade, upgrade
from sqlalchemy import event, text

from deliberation import create_app
from deliberation.extensions import db
from deliberation.web import migrations
from tests.conftest import base_config

BEFORE_CODES = "m3rg3000002"


def test_one_head(app):
    config = Migrate(app, db, directory=migrations(app).directory).get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: add a merge revision"


def test_models_match_the_migrated_schema(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == [], differences


def test_stored_labels_become_codes_and_back(tmp_path):
    """The rows frozen and cast before the demographics codes: Chinese labels → codes, and back (SQLite)."""
    app = create_app(base_config("sqlite:///" + str(tmp_path / "codes.db")))
    with app.app_context():
        # The rows stand alone, without a vote, community or person: no foreign keys here.
        event.listen(db.engine, "connect", lambda connection, _record: connection.execute("PRAGMA foreign_keys=OFF"))
        migrations()
        upgrade(revision=BEFORE_CODES)
        with db.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO vote_voters (vote_id, voter_key, advisory, person_ids, area_cents, building, age_band,"
                " tenure, took_part) VALUES (1, 'p:1', 0, '[1]', 0, '3号楼', '35岁以下', '业主', 1),"
                " (1, 'p:2', 0, '[2]', 0, '未登记', '60岁及以上', '未登记', 0)"))
            conn.execute(text(
                "INSERT INTO vote_electorate_groups (vote_id, advisory, building, age_band, tenure, voters,"
                " area_cents) VALUES (1, 0, '3号楼', '35岁以下', '业主', 1, 0), (1, 0, '未登记', '60岁及以上', '未登记', 1, 0)"))
            conn.execute(text(
                "INSERT INTO ballots (vote_id, voter_key, choice, source, receipt_hash, changes, cast_at, updated_at,"
                " advisory, building, age_band, tenure, area_cents) VALUES (1, 'p:1', 'agree', 'online', 'r1', 0,"
                " '2026-11-30 08:00:00', '2026-11-30 08:00:00', 0, '3号楼', '35岁以下', '业主', 0)"))
        upgrade(revision="heads")
        facts = "SELECT building, age_band, tenure FROM {} ORDER BY building DESC"
        with db.engine.connect() as conn:
            for table in ("vote_voters", "vote_electorate_groups"):
                assert conn.execute(text(facts.format(table))).all() == [("3号楼", "<35", "owner"), ("", "60+", "")]
            assert conn.execute(text(facts.format("ballots"))).all() == [("3号楼", "<35", "owner")]
            conn.execute(text("UPDATE vote_voters SET age_band = '18-34' WHERE voter_key = 'p:1'"))
            conn.commit()
        downgrade(revision=BEFORE_CODES)
        with db.engine.connect() as conn:
            for table in ("vote_voters", "vote_electorate_groups"):
                assert conn.execute(text(facts.format(table))).all() == [
                    ("未登记", "60岁及以上", "未登记"), ("3号楼", "35岁以下", "业主")]
            assert conn.execute(text(facts.format("ballots"))).all() == [("3号楼", "35岁以下", "业主")]
        db.engine.dispose()
