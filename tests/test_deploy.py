"""The deployment's examples agree with the app: the proxy sends the API's ballots, exactly the requests the short
way answers (api.short_way.PATH), to the ballot pool, whose unit starts the app from the same gunicorn settings with
workers of one thread on the port the proxy names; `make run` and the benchmark start from those settings too, whose
workers freeze the loaded app's objects out of the garbage collector's sight."""

from __future__ import annotations

import gc
import re
import runpy
from pathlib import Path

import pytest

from bench.server import Server
from deliberation.api.short_way import PATH

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"


def _environment(unit: str) -> dict[str, str]:
    pairs = " ".join(line.removeprefix("Environment=") for line in unit.splitlines() if line.startswith("Environment="))
    return dict(pair.split("=", 1) for pair in pairs.split())


@pytest.fixture(scope="module")
def nginx() -> str:
    return (DEPLOY / "nginx.conf").read_text(encoding="utf-8")


def test_the_ballot_pool_runs_the_app_with_one_thread_on_the_port_the_proxy_names(nginx, monkeypatch):
    unit = (DEPLOY / "deliberation-ballots.service").read_text(encoding="utf-8")
    environment = _environment(unit)
    assert environment["GUNICORN_THREADS"] == "1"
    assert "-c deploy/gunicorn.conf.py 'deliberation:create_app()'" in unit
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert settings["threads"] == 1 and settings["bind"] == environment["GUNICORN_BIND"]
    port = environment["GUNICORN_BIND"].rsplit(":", 1)[1]
    upstream = re.search(r"upstream deliberation_ballots \{(.*?)\}", nginx, re.S)
    assert upstream is not None
    ports = re.findall(r"server [\d.]+:(\d+)", upstream[1])
    assert ports and set(ports) == {port}


@pytest.mark.parametrize(("path", "to_the_pool"), [
    ("/api/v1/votes/7/ballot", True),
    ("/api/v1/votes/1234567890/ballot", True),
    ("/api/v1/votes/7/ballot/", False),
    ("/api/v1/votes/7", False),
    ("/api/v1/votes/x/ballot", False),
    ("/api/v1/votes/7/ballots", False),
    ("/votes/7/ballot", False),
])
def test_the_proxy_sends_the_short_ways_requests_to_the_ballot_pool(nginx, path, to_the_pool):
    location = re.search(r"location ~ (\S+) \{\s*proxy_pass http://deliberation_ballots;", nginx)
    assert location is not None
    assert bool(re.search(location[1], path)) is to_the_pool
    assert (PATH.fullmatch(path) is not None) is to_the_pool


def test_make_run_and_the_benchmark_start_from_the_deployments_settings():
    run = re.search(r"^run:.*?(?=^\S)", (ROOT / "Makefile").read_text(encoding="utf-8"), re.S | re.M)
    assert run is not None and "gunicorn -c deploy/gunicorn.conf.py 'deliberation:create_app()'" in run[0]
    command = Server("bench.wsgi:app", {}, ROOT / "unused.log").command()
    assert command[command.index("--config") + 1] == str(DEPLOY / "gunicorn.conf.py")
    assert "--worker-class" not in command and "--reuse-port" not in command  # the file's worker, as deployed


def test_a_worker_takes_the_loaded_apps_objects_out_of_the_collectors_sight():
    settings = runpy.run_path(str(DEPLOY / "gunicorn.conf.py"))
    assert gc.get_freeze_count() == 0
    try:
        settings["post_worker_init"](None)
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()
