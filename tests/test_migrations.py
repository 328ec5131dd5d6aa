"""The migrations are the schema: one head, and nothing in the models that they do not create."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import Migrate

from deliberation.extensions import db
from deliberation.web import migrations


def test_one_head(app):
    config = Migrate(app, db, directory=migrations(app).directory).get_config()
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several migration heads {heads}: add a merge revision"


def test_models_match_the_migrated_schema(app):
    with db.engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
    assert differences == [], differences
