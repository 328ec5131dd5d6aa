"""deliberation: a neighbourhood consultation platform (议事平台)."""

from __future__ import annotations

import os
from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """The application factory: settings, extensions, blueprints, commands.

    The instance folder is INSTANCE_PATH when set (the benchmark, the tests, a host serving from elsewhere),
    else `instance/` beside the package. Nothing is written there until something needs it: a key not given
    in the environment, the default SQLite database, the limits' counters, an anchor, a picture."""
    instance = os.environ.get("INSTANCE_PATH")
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_path=str(Path(instance).resolve()) if instance else None, instance_relative_config=True)
    from deliberation import config as settings
    from deliberation import web

    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.from_mapping(config or {})
    settings.prepare_database_folder(app.config["SQLALCHEMY_DATABASE_URI"])
    web.init_app(app)
    return app
