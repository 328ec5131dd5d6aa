"""Load with wrk: one bounded run, its figures read back from the Lua script's last line."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent / "requests.lua"


@dataclass(frozen=True)
class Run:
    requests: int
    seconds: float
    errors: int  # non-2xx/3xx answers, plus socket errors and timeouts
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    cursor: int  # the next prepared request not yet sent
    statuses: dict[str, int]  # answers by HTTP status

    @property
    def status_note(self) -> str:
        """e.g. "201 × 5,012, 409 × 3" when anything but 2xx came back."""
        if all(s.startswith("2") for s in self.statuses):
            return ""
        return ", ".join(f"{s} × {n:,}" for s, n in sorted(self.statuses.items()))

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is not installed: `sudo apt-get install wrk` (or `make system-packages`).")
    return path


def run(url: str, *, connections: int, seconds: float, requests_file: Path | None = None, start: int = 0,
        headers: dict[str, str] | None = None, timeout: float = 10) -> Run:
    """wrk with one thread (the machine's cores are for the server) and `connections` connections."""
    command = [wrk_path(), "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", f"--timeout={timeout:g}s",
               "-s", str(SCRIPT)]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    command.append(url)
    if requests_file is not None:
        command += ["--", str(requests_file), str(start)]
    done = subprocess.run(command, capture_output=True, text=True,  # noqa: S603 -- wrk, our arguments
                          timeout=seconds + timeout + 60)
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stdout[-2000:]} {done.stderr[-2000:]}")
    data = json.loads(line[len("BENCH "):])
    errors = sum(data[k] for k in ("status_errors", "connect_errors", "read_errors", "write_errors", "timeouts"))
    return Run(requests=data["requests"], seconds=data["duration_us"] / 1e6, errors=errors,
               p50_ms=data["p50_us"] / 1000, p95_ms=data["p95_us"] / 1000, p99_ms=data["p99_us"] / 1000,
               max_ms=data["max_us"] / 1000, cursor=data["cursor"],
               statuses=data.get("statuses", {}))


def write_requests(path: Path, rows) -> int:
    """Write prepared requests (method, path, token, json body) for requests.lua; returns how many."""
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for method, target, token, body in rows:
            f.write(f"{method}\t{target}\t{token}\t{json.dumps(body, ensure_ascii=False, separators=(',', ':'))}\n")
            n += 1
    return n
