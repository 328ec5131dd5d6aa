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


def _tree(folder: Path) -> dict[str, float]:
    return {str(p.relative_to(folder)): p.stat().st_mtime for p in folder.rglob("*")} if folder.exists() else {}


def test_commands_write_nothing_into_the_source_trees_instance_folder(tmp_path):
    """Run from elsewhere with their settings in the environment (as `make bench`, a cron job or a second
    host does), the commands leave `instance/` of the source tree as it was: not created, nothing added."""
    source_instance = ROOT / "instance"
    before = _tree(source_instance)
    env = {**{k: v for k, v in os.environ.items() if k not in ("INSTANCE_PATH", "REDIS_URL")},
           "DATABASE_URL": f"sqlite:///{tmp_path / 'ops.db'}", "SECRET_KEY": "s" * 40, "AUDIT_KEY": "a" * 40,
           "AUDIT_ANCHOR_FILE": str(tmp_path / "anchor.json"), "UPLOAD_FOLDER": str(tmp_path / "uploads"),
           "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "deliberation"]
    for command in (["db", "upgrade"], ["create-admin", "root", "--password", "long-enough-password"],
                    ["audit", "anchor"], ["audit", "verify"], ["backup", str(tmp_path / "copy.db")]):
        done = subprocess.run([*flask, *command], cwd=tmp_path, env=env,  # noqa: S603
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, (command, done.stderr[-2000:])
    assert _tree(source_instance) == before
    assert (tmp_path / "anchor.json").exists()


def test_an_instance_path_takes_every_file_the_app_makes_for_itself(tmp_path):
    """Without keys in the environment they are generated once into INSTANCE_PATH, with the default SQLite
    database beside them; the source tree's instance/ stays as it was."""
    source_instance = ROOT / "instance"
    before = _tree(source_instance)
    instance = tmp_path / "elsewhere"
    env = {**{k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "AUDIT_KEY", "AUDIT_ANCHOR_FILE",
                                                               "DATABASE_URL", "REDIS_URL")},
           "INSTANCE_PATH": str(instance), "PYTHONPATH": str(ROOT)}
    flask = [sys.executable, "-m", "flask", "--app", "deliberation"]
    for command in (["db", "upgrade"], ["audit", "anchor"], ["audit", "verify"]):
        done = subprocess.run([*flask, *command], cwd=ROOT, env=env,  # noqa: S603
                              capture_output=True, text=True, timeout=300, check=False)
        assert done.returncode == 0, (command, done.stderr[-2000:])
    assert {"secret_key", "audit_key", "deliberation.db"} <= set(_tree(instance))
    assert _tree(source_instance) == before
