"""What a web worker loads at start: the app, not the tools of the command line or of rare pages."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Each is megabytes in every worker; each is needed only by a command, a test or one rare request.
NOT_AT_START = ("alembic", "flask_migrate", "openpyxl", "icalendar", "weasyprint", "docx")


def test_create_app_leaves_the_heavy_libraries_unloaded(tmp_path):
    script = (
        "import json, sys\n"
        "from deliberation import create_app\n"
        "create_app()\n"
        f"print(json.dumps([m for m in {NOT_AT_START!r} if m in sys.modules]))\n"
    )
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'start.db'}", "SECRET_KEY": "s" * 40,
           "REDIS_URL": "", "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_command_line_still_offers_the_migrations(tmp_path):
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}", "SECRET_KEY": "s" * 40,
           "REDIS_URL": "", "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "deliberation", "db"]
    done = subprocess.run([*flask, "upgrade"], cwd=ROOT, env=env,  # noqa: S603
                          capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    heads = subprocess.run([*flask, "current"], cwd=ROOT, env=env,  # noqa: S603
                           capture_output=True, text=True, timeout=120, check=True)
    assert "(head)" in heads.stdout
