"""The app server shares kept-alive connections evenly among its workers (deliberation.serving): the real
gunicorn with deploy/gunicorn.conf.py, two workers, and bursts of connections opened at once, as a proxy or
a load generator opens them."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from deliberation.serving import FRESH, Shares

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).parent / "gunicorn"
DEADLINE = 60  # seconds: a step on a machine kept busy by other work

# The worker's pid, and a keep-alive answer (HTTP/1.1, a length).
PID_APP = '''
import os

def app(environ, start_response):
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]
'''


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    (tmp_path / "pid_app.py").write_text(PID_APP, encoding="utf-8")
    port = _free_port()
    log = (tmp_path / "gunicorn.log").open("w")
    process = subprocess.Popen(  # noqa: S603 -- gunicorn, our arguments
        [str(GUNICORN), "--config", str(ROOT / "deploy" / "gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--workers", "2", "--threads", "4", "--pythonpath", str(tmp_path), "--graceful-timeout", "1",
         "--no-control-socket", "pid_app:app"],
        cwd=ROOT, env={**os.environ, "GUNICORN_ACCESS_LOG": ""}, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)
    try:
        deadline = time.monotonic() + DEADLINE
        while len(_answered_by(port, 4, keep=False)) < 2:  # both workers up and answering
            assert process.poll() is None, (tmp_path / "gunicorn.log").read_text()
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        _held_by_nobody(port)
        yield port
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def _get(connection: socket.socket) -> str:
    connection.sendall(b"GET / HTTP/1.1\r\nHost: test\r\n\r\n")
    answer = b""
    while b"\r\n\r\n" not in answer or not answer.split(b"\r\n\r\n", 1)[1]:
        chunk = connection.recv(4096)
        assert chunk, "the server closed the connection"
        answer += chunk
    return answer.split(b"\r\n\r\n", 1)[1].decode()


def _answered_by(port: int, connections: int, keep: bool = True) -> Counter:
    """Open `connections` connections at once, ask once on each, then once more on each (kept alive: the same
    worker): how many each worker's pid answered."""
    opened = []
    try:
        for _ in range(connections):
            connection = socket.create_connection(("127.0.0.1", port), timeout=DEADLINE)
            opened.append(connection)
        pids = [_get(connection) for connection in opened]
        if keep:
            assert [_get(connection) for connection in opened] == pids  # a kept-alive connection stays put
        return Counter(pids)
    except OSError:
        return Counter()
    finally:
        for connection in opened:
            connection.close()


def _held_by_nobody(port: int) -> None:
    """Wait until the workers have closed their side of the last burst's connections (a worker counts a
    connection off when it reads its end): no socket of the server's port left established or waiting to close."""
    held = {"01", "08"}  # ESTABLISHED, CLOSE_WAIT (/proc/net/tcp)
    deadline = time.monotonic() + DEADLINE
    while True:
        rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
        if not any(int(row.split()[1].rsplit(":", 1)[1], 16) == port and row.split()[3] in held for row in rows):
            return
        assert time.monotonic() < deadline, "the workers did not close the connections"
        time.sleep(0.05)


@pytest.mark.parametrize("connections", [4, 6, 16])
def test_a_burst_of_kept_alive_connections_is_shared_evenly_by_two_workers(server, connections):
    for burst in range(6):
        shares = _answered_by(server, connections)
        assert sorted(shares.values()) == [connections // 2, connections // 2], (burst, shares)
        _held_by_nobody(server)


def test_the_fewest_connections_are_counted_among_live_workers_only():
    shares = Shares(slots=4)
    first, second, third = shares.take(), shares.take(), shares.take()
    assert (first, second, third) == (0, 1, 2)
    now = 1000.0
    shares.connections[first], shares.connections[second], shares.connections[third] = 3, 1, 0
    shares.seen[first], shares.seen[second], shares.seen[third] = now, now, now - FRESH  # the third: silent
    assert shares.fewest_elsewhere(first, now) == 1
    assert shares.fewest_elsewhere(second, now) == 3
    shares.give_back(second)
    assert shares.fewest_elsewhere(first, now) is None  # no other live worker: accept
    assert shares.take() == second and shares.connections[second] == 0
    assert shares.take() == 3 and shares.take() is None  # all four taken
