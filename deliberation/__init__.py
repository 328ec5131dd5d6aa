"""deliberation: a neighbourhood consultation platform (议事平台)."""

from __future__ import annotations

from pathlib import Path

from flask import Flask

ROOT = Path(__file__).resolve().parent.parent


def create_app(config: dict | None = None) -> Flask:
    """The application factory: settings, extensions, blueprints, commands."""
    app = Flask(__name__, template_folder=str(ROOT / "templates"), static_folder=str(ROOT / "static"),
                instance_relative_config=True)
    from deliberation import config as settings
    from deliberation import web

    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config.from_mapping(settings.from_environment(app.instance_path))
    app.config.from_mapping(config or {})
    web.init_app(app)
    return app
