"""A gunicorn server on loopback for one measurement: started, waited for, measured, stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The settings of `make run`: two workers, threads so that a hall display's stream holds no worker, the
# kept-alive connections shared evenly among the workers (deliberation.serving): all of deploy/gunicorn.conf.py,
# which the servers here start from.
WORKERS = 2
THREADS = 8
# The ballot pool of a deployment (deploy/deliberation-ballots.service): the proxy sends the API's ballots to
# workers of one thread each, where a ballot costs about two thirds of the CPU it costs among eight threads.
BALLOT_THREADS = 1
BALLOT_WORKERS = 2  # as many as the cores, as deploy/gunicorn.conf.py starts (4 measured no better here)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """`gunicorn --config deploy/gunicorn.conf.py --workers 2 --threads 8 APP` on 127.0.0.1:<free port>."""

    def __init__(self, app: str, env: dict[str, str], log: Path, *, workers: int = WORKERS,
                 threads: int = THREADS, ready_path: str = "/login"):
        self.app, self.env, self.log = app, env, log
        self.workers, self.threads, self.ready_path = workers, threads, ready_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def command(self) -> list[str]:
        # deploy/gunicorn.conf.py's settings and hooks (the app's objects frozen after loading), with the
        # measurement's own workers, threads and port; no access log, no recycling in the middle of a run.
        return [sys.executable, "-m", "gunicorn", "--config", str(ROOT / "deploy" / "gunicorn.conf.py"),
                "--bind", f"127.0.0.1:{self.port}", "--max-requests", "0",
                "--workers", str(self.workers), "--threads", str(self.threads),
                "--graceful-timeout", "5", "--no-control-socket", "--error-logfile", str(self.log), self.app]

    def __enter__(self) -> Server:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self, timeout: float = 90) -> None:
        # As deployed (deploy/deliberation.service): two malloc arenas, not one per thread.
        env = {"MALLOC_ARENA_MAX": "2", **os.environ, **self.env, "PYTHONPATH": str(ROOT), "GUNICORN_ACCESS_LOG": ""}
        self.process = subprocess.Popen(self.command(), cwd=ROOT,  # noqa: S603 -- gunicorn, our arguments
                                        env=env, stdin=subprocess.DEVNULL,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.process.returncode}); see {self.log}")
            try:
                with urllib.request.urlopen(self.url + self.ready_path, timeout=5) as response:  # noqa: S310
                    if response.status < 500 and len(self.worker_pids()) >= self.workers:
                        return
            except urllib.error.HTTPError as error:
                if error.code < 500 and len(self.worker_pids()) >= self.workers:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s; see {self.log}")

    def worker_pids(self) -> list[int]:
        if self.process is None:
            return []
        try:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text()
        except OSError:
            return []
        return [int(pid) for pid in children.split()]

    def worker_peak_mb(self) -> list[float]:
        """VmHWM (peak resident set) of each worker, in MB."""
        peaks = []
        for pid in self.worker_pids():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peaks.append(int(line.split()[1]) / 1024)
            except OSError:
                continue
        return peaks

    def cpu_by_worker(self) -> dict[int, float]:
        """User plus system CPU time each worker has used so far (all its threads), by pid."""
        ticks = os.sysconf("SC_CLK_TCK")
        used = {}
        for pid in self.worker_pids():
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            used[pid] = (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
        return used

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
