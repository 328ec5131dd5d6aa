"""`python -m bench`: the real server (gunicorn, 2 workers) on loopback against SQLite, then
PostgreSQL, on a generated community, measured with wrk; prints a table and records it in
bench/RESULTS.md. See bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from bench import communities, load, weight
from bench import data as gen
from bench.server import BALLOT_THREADS, BALLOT_WORKERS, THREADS, WORKERS, Server

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "RESULTS.md"
POSTGRES_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test_bench")
MEASUREMENTS = ("ballots", "ballots4", "floor", "session", "result", "minutes", "booking", "memory", "weight")
BALLOT_CONNECTIONS = 16
# Pages and bookings: four requests in flight on two workers, so the figure is the time one request
# takes with a little queueing, not the length of a queue (which is only the throughput again).
PAGE_CONNECTIONS = 4

TARGETS = {
    "ballots_ratio": 0.25,  # requests per second, ballots over the floor's
    "ballots_cpu_ratio": 4.0,  # server CPU per request, ballots over the floor's
    "ballots_p99_ms": 50,
    "session_p95_ms": 30,
    "session_cpu_vs_floor": 10,  # the session page's server CPU per request, at most this many floors'
    "worker_share": 0.65,  # no worker serves more than this share of kept-alive connections' requests
    "result_s": 1.0,
    "minutes_s": 5.0,
    "booking_p99_ms": 20,
    "worker_mb": 150,
    "page_kb": 60,
}


@dataclass
class Row:
    database: str
    measurement: str
    figure: str
    target: str = ""
    holds: bool | None = None  # None: no target, or not measured
    note: str = ""

    @property
    def verdict(self) -> str:
        return {True: "yes", False: "NO", None: "—"}[self.holds]


def machine() -> dict:
    model = ""
    with contextlib.suppress(OSError):
        model = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                      if line.startswith("model name")), "")
    memory = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f"{kb / 1024 / 1024:.1f} GB"
    except (OSError, ValueError, IndexError):
        pass
    return {"cores": os.cpu_count() or 0, "cpu": model or platform.processor(), "memory": memory,
            "python": platform.python_version(), "system": platform.platform(terse=True)}


def loadavg() -> float:
    return os.getloadavg()[0]


def app_overrides() -> dict:
    """Every per-user rate limit raised: one machine's generated load would otherwise meet 429. And the booking
    horizon: the prepared bookings follow each other by the half hour from about six weeks ahead, and a run that
    went past 90 days would time refusals (422) as bookings."""
    keys = set()
    for path in (ROOT / "deliberation").rglob("*.py"):
        keys.update(re.findall(r'per_user\(\s*"[^"]+",\s*"([A-Z0-9_]+)"', path.read_text(encoding="utf-8")))
    return dict.fromkeys(sorted(keys), "1000000 per minute") | {"BOOKING_HORIZON_DAYS": 3650}


def settle(cores: int, longest: float = 120) -> None:
    """Wait (at most `longest` seconds) for the load average to fall below half the cores, so that
    what ran just before (an install, a build) is not measured with the run."""
    deadline = time.monotonic() + longest
    if loadavg() > 0.5 * cores:
        print(f"waiting for the machine to settle (load average {loadavg():.2f})…", flush=True)
    while loadavg() > 0.5 * cores and time.monotonic() < deadline:
        time.sleep(5)


def child(what: str, object_id: int, actor_id: int, env: dict, runs: int = 1) -> dict:
    command = [sys.executable, "-m", "bench.child", what, str(object_id), str(actor_id), str(runs)]
    done = subprocess.run(command, cwd=ROOT, env={**os.environ, **env, "PYTHONPATH": str(ROOT)},  # noqa: S603
                          capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise RuntimeError(f"bench.child {what} failed: {done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


class Bench:
    def __init__(self, database: str, sizes: gen.Sizes, only: set[str], workdir: Path, log):
        self.database, self.sizes, self.only, self.workdir, self.log = database, sizes, only, workdir, log
        self.rows: list[Row] = []
        self.secret = secrets.token_urlsafe(32)
        if database == "sqlite":
            self.url = f"sqlite:///{workdir / 'bench.db'}"
        else:
            self.url = POSTGRES_URL
        self.data = gen.Dataset()
        self.cursor = 0  # the next prepared ballot not yet sent

    def wants(self, *names: str) -> bool:
        return any(n in self.only for n in names)

    def row(self, measurement: str, figure: str, target: str = "", holds: bool | None = None, note: str = ""):
        self.rows.append(Row(self.database, measurement, figure, target, holds, note))
        self.log(f"  {measurement}: {figure}" + (f"  [{target}: {'yes' if holds else 'NO'}]" if target else "")
                 + (f"  ({note})" if note else ""))

    @property
    def env(self) -> dict[str, str]:
        return {"DATABASE_URL": self.url, "SECRET_KEY": self.secret, "REDIS_URL": "",
                "BENCH_APP_CONFIG": json.dumps(app_overrides())}

    # -- data --------------------------------------------------------------------------------

    def generate(self) -> None:
        from deliberation import create_app
        from deliberation.config import database_url
        from deliberation.extensions import db

        if self.database == "postgres":
            gen.reset_postgres(database_url(self.url, ""))
        app = create_app({"SQLALCHEMY_DATABASE_URI": database_url(self.url, str(self.workdir)),
                          "SECRET_KEY": self.secret, "RATELIMIT_STORAGE_URI": "memory://"})
        s, d = self.sizes, self.data
        with app.app_context(), app.test_request_context():
            started = time.perf_counter()
            gen.migrate()
            d.timings["migrate"] = round(time.perf_counter() - started, 2)
            session = db.session
            gen.load_community(session, d)
            gen.add_voters(session, d, s.voters)
            if self.wants("ballots", "floor", "weight"):
                gen.add_ballot_votes(session, d, s.ballot_votes)
            if self.wants("ballots4"):
                self.spread = communities.add_spread(session, s.voters // 2, max(2, s.ballot_votes // 4))
            if self.wants("session", "weight"):
                gen.add_session_comments(session, d, s.session_comments)
            if self.wants("minutes"):
                gen.add_minutes_comments(session, d, s.minutes_comments)
            if self.wants("booking"):
                gen.add_booked_room(session, d, s.room_bookings)
            if self.wants("result"):
                gen.add_civil_code_vote(session, d, s.civil_ballots)
            db.session.remove()
            db.engine.dispose()
        if self.database == "postgres":
            gen.checkpoint_postgres(database_url(self.url, ""), d)
        self.log(f"  data generated: {json.dumps(d.timings, ensure_ascii=False)} (seconds)")

    # -- measurements ------------------------------------------------------------------------

    def run(self) -> list[Row]:
        mode = "quick" if self.sizes.civil_ballots == gen.QUICK.civil_ballots else "full"
        self.log(f"== {self.database}: generating the community ({mode})")
        self.generate()
        ballots, ballot_peaks = None, []
        if self.wants("ballots", "ballots4"):
            # As deployed: the proxy sends the API's ballots to the ballot pool, workers of one thread each.
            with Server("bench.wsgi:app", self.env, self.workdir / f"gunicorn-ballots-{self.database}.log",
                        workers=BALLOT_WORKERS, threads=BALLOT_THREADS) as server:
                self.log(f"== {self.database}: ballot pool {server.url} ({BALLOT_WORKERS} workers × {BALLOT_THREADS} thread)")
                ballots = self.ballots(server) if self.wants("ballots") else None
                if self.wants("ballots4"):
                    self.ballots_spread(server, ballots)
                ballot_peaks = server.worker_peak_mb()
        if self.wants("session", "booking", "memory", "weight"):
            with Server("bench.wsgi:app", self.env, self.workdir / f"gunicorn-{self.database}.log") as server:
                self.log(f"== {self.database}: app server {server.url} ({WORKERS} workers × {THREADS} threads)")
                at_start = server.worker_peak_mb()
                if self.wants("session"):
                    self.session_page(server)
                if self.wants("booking"):
                    self.booking(server)
                if self.wants("weight"):
                    self.page_weight(server)
                if self.wants("memory"):
                    peaks = server.worker_peak_mb()
                    worst = max(peaks + ballot_peaks) if peaks else 0.0
                    self.row("worker peak memory (VmHWM)", " / ".join(f"{p:.0f} MB" for p in peaks),
                             f"< {TARGETS['worker_mb']} MB", worst < TARGETS["worker_mb"] if peaks else None,
                             "after the measurements above; right after start: "
                             + " / ".join(f"{p:.0f} MB" for p in at_start)
                             + ("; the ballot pool's workers after the ballots: "
                                + " / ".join(f"{p:.0f} MB" for p in ballot_peaks) if ballot_peaks else ""))
        if self.wants("floor", "ballots", "session"):
            self.floor(ballots)
            if getattr(self, "session_cpu_ms", None) is not None:
                self.session_against_floor(self.floor_cpu_ms)
        if self.wants("result"):
            self.result()
        if self.wants("minutes"):
            self.minutes()
        return self.rows

    def _measure(self, server: Server, url: str, connections: int, **kw) -> tuple[load.Run, load.Run, str]:
        """A warm-up run, then the measured run (continuing the prepared requests); with the workers'
        CPU time per request of the measured run, the figure least disturbed by other work, and how
        it fell between the workers."""
        warm = load.run(url, connections=connections, seconds=self.sizes.warmup, **kw)
        if "requests_file" in kw:
            kw["start"] = warm.cursor + connections
        before = server.cpu_by_worker()
        run = load.run(url, connections=connections, seconds=self.sizes.seconds, **kw)
        used = [after - before.get(pid, 0.0) for pid, after in server.cpu_by_worker().items()]
        self.last_cpu_ms = sum(used) * 1000 / run.requests if run.requests else 0.0
        self.cpu_ms = self.last_cpu_ms
        self.last_shares = [u / sum(used) for u in used] if sum(used) > 0 else []
        cpu = f"server CPU {self.last_cpu_ms:.1f} ms/request"
        # A kept-alive connection stays with the worker that accepted it; with few connections one
        # worker can end up with most of them (and the run then measures one core, not two).
        if sum(used) > 0 and len(used) > 1:
            cpu += " (workers' shares " + " / ".join(f"{u / sum(used):.0%}" for u in used) + ")"
        return warm, run, cpu

    @staticmethod
    def _errors(run: load.Run) -> str:
        return f"; {run.errors:,} errors: {run.status_note or 'socket errors or timeouts'}" if run.errors else ""

    def ballots(self, server: Server) -> load.Run | None:
        d = self.data
        if not d.ballot_vote_ids:
            self.row("ballot casting (API, token)", "not measured", note=d.missing.get("ballots", "no votes"))
            return None
        path = self.workdir / "ballots.txt"
        available = load.write_requests(path, gen.ballot_requests(d, len(d.voters) * len(d.ballot_vote_ids)))
        before = gen.count_ballots(self.url)
        warm, run, cpu = self._measure(server, server.url, BALLOT_CONNECTIONS, requests_file=path, start=0)
        stored = gen.count_ballots(self.url) - before
        note = (f"{run.rate:,.0f} req/s; {cpu}; {stored:,} new ballots stored "
                f"(warm-up included; {warm.requests + run.requests:,} answers)")
        if run.cursor > available:
            note += "; ran out of distinct voter × vote pairs, so some requests changed a ballot"
        note += self._errors(run)
        self.row(f"ballot casting (API, token, {BALLOT_CONNECTIONS} conn)",
                 f"{run.rate:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms",
                 f"p99 < {TARGETS['ballots_p99_ms']} ms", run.p99_ms < TARGETS["ballots_p99_ms"] and not run.errors,
                 note)
        self.ballot_file = path
        self.ballot_cpu_ms = self.cpu_ms
        return run

    def ballots_spread(self, server: Server, one: load.Run | None) -> None:
        """The same ballots, interleaved over 4 communities: each community's audit chain has its own lock."""
        path = self.workdir / "ballots4.txt"
        available = load.write_requests(path, communities.ballot_requests(self.spread))
        warm, run, cpu = self._measure(server, server.url, BALLOT_CONNECTIONS, requests_file=path, start=0)
        note = f"{run.rate:,.0f} req/s; {cpu}"
        if one is not None and one.rate:
            note += f"; {run.rate / one.rate:.0%} of one community's rate"
        if run.cursor > available:
            note += "; ran out of distinct voter × vote pairs, so some requests changed a ballot"
        note += self._errors(run)
        self.row(f"ballot casting over {communities.COMMUNITIES} communities ({BALLOT_CONNECTIONS} conn)",
                 f"{run.rate:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms",
                 f"p99 < {TARGETS['ballots_p99_ms']} ms", run.p99_ms < TARGETS["ballots_p99_ms"] and not run.errors,
                 note)

    def floor(self, ballots: load.Run | None) -> None:
        """The floor under the app server's settings (against which the pages are held), and, when ballots were
        measured, under the ballot pool's, against which they are held: the same server settings for both."""
        from bench import floor as floor_app

        path = getattr(self, "ballot_file", None)
        if path is None:
            path = self.workdir / "floor.txt"
            load.write_requests(path, (("POST", "/api/v1/votes/1/ballot", "t", {"choice": "agree"})
                                       for _ in range(1000)))
        target = self.url.removeprefix("sqlite:///") if self.database == "sqlite" else self.url
        floor_app.create_table(target)
        app_floor = self._floor_run(path, target, WORKERS, THREADS, f"floor: bare Flask insert ({BALLOT_CONNECTIONS} conn)")
        self.floor_cpu_ms = self.cpu_ms
        if ballots is None:
            return
        pool_floor = self._floor_run(path, target, BALLOT_WORKERS, BALLOT_THREADS, f"floor as the ballot pool "
                                     f"({BALLOT_WORKERS} workers × {BALLOT_THREADS} thread, {BALLOT_CONNECTIONS} conn)")
        if not pool_floor.rate:
            return
        # The ballot's targets as ratios to the floor measured in the same run, under the same settings (issue 21);
        # the note gives them against the app server's floor too.
        ratio = ballots.rate / pool_floor.rate
        note = f"{ballots.rate:,.0f} against {pool_floor.rate:,.0f} req/s"
        if app_floor.rate:
            note += f"; against the app server's floor ({app_floor.rate:,.0f} req/s): {ballots.rate / app_floor.rate:.0%}"
        self.row("ballot casting / floor: throughput", f"{ratio:.0%}", f"≥ {TARGETS['ballots_ratio']:.0%}",
                 ratio >= TARGETS["ballots_ratio"], note)
        floor_cpu, ballot_cpu = self.cpu_ms, getattr(self, "ballot_cpu_ms", 0.0)
        if floor_cpu:
            times = ballot_cpu / floor_cpu
            note = f"{ballot_cpu:.2f} against {floor_cpu:.2f} ms/request"
            if self.floor_cpu_ms:
                note += f"; against the app server's floor ({self.floor_cpu_ms:.2f} ms): {ballot_cpu / self.floor_cpu_ms:.1f}×"
            self.row("ballot casting / floor: server CPU per request", f"{times:.1f}×",
                     f"≤ {TARGETS['ballots_cpu_ratio']:g}×", times <= TARGETS["ballots_cpu_ratio"], note)

    def _floor_run(self, path: Path, target: str, workers: int, threads: int, name: str) -> load.Run:
        with Server("bench.floor:app", {"FLOOR_DATABASE": target}, self.workdir / f"floor-{self.database}-{threads}.log",
                    workers=workers, threads=threads) as server:
            _warm, run, cpu = self._measure(server, server.url, BALLOT_CONNECTIONS, requests_file=path, start=0)
        self.row(name, f"{run.rate:,.0f} req/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms",
                 note=cpu + self._errors(run))
        return run

    def session_page(self, server: Server) -> None:
        d = self.data
        http = weight.sign_in(server.url, *d.login)
        url = f"{server.url}/consultations/{d.session_consultation_id}"
        check = http.get(url, timeout=30)
        if check.status_code != 200:
            self.row("session page", f"answered {check.status_code}", holds=False)
            return
        # As a browser goes on: the cookie as the first page left it (with its form token) and the same User-Agent
        # as at the sign-in (another one makes the sign-in not fresh, and the cookie is written anew every time).
        browser = {"Cookie": "; ".join(f"{c.name}={c.value}" for c in http.cookies),
                   "User-Agent": http.headers["User-Agent"]}
        _warm, run, cpu = self._measure(server, url, PAGE_CONNECTIONS, headers=browser)
        self.session_cpu_ms = self.last_cpu_ms
        note = (f"{self.sizes.session_comments:,} comments, first page; {run.rate:,.0f} req/s; "
                + cpu + self._errors(run))
        self.row(f"session page ({PAGE_CONNECTIONS} conn)", f"p50 {run.p50_ms:.1f} ms, p95 {run.p95_ms:.1f} ms",
                 f"p95 < {TARGETS['session_p95_ms']} ms", run.p95_ms < TARGETS["session_p95_ms"] and not run.errors,
                 note)
        self.worker_shares(server, url, browser)

    def worker_shares(self, server: Server, url: str, browser: dict[str, str]) -> None:
        """The same page over BALLOT_CONNECTIONS kept-alive connections: how the workers share the requests
        (their CPU time, every request being alike). A kept-alive connection stays with the worker that
        accepted it; the workers share them evenly (deliberation.serving)."""
        _warm, run, cpu = self._measure(server, url, BALLOT_CONNECTIONS, headers=browser)
        shares = self.last_shares
        figure = " / ".join(f"{share:.0%}" for share in shares) or "not measured"
        self.row(f"workers' shares ({BALLOT_CONNECTIONS} kept-alive conn)", figure,
                 f"≤ {TARGETS['worker_share']:.0%} each",
                 bool(shares) and max(shares) <= TARGETS["worker_share"] and not run.errors,
                 f"session page; {run.rate:,.0f} req/s; {cpu}"
                 + self._errors(run))

    def session_against_floor(self, floor_cpu_ms: float) -> None:
        """The session page's server CPU per request against the floor's (both measured above)."""
        ratio = self.session_cpu_ms / floor_cpu_ms if floor_cpu_ms else float("inf")
        self.row("session page CPU / floor CPU", f"{ratio:.1f}× ({self.session_cpu_ms:.1f} ms / {floor_cpu_ms:.1f} ms)",
                 f"≤ {TARGETS['session_cpu_vs_floor']}×", ratio <= TARGETS["session_cpu_vs_floor"],
                 "server CPU per request: the session page at 4 connections, the floor's insert at 16")

    def booking(self, server: Server) -> None:
        d = self.data
        path = self.workdir / "bookings.txt"
        load.write_requests(path, gen.booking_requests(d, 50_000))
        before = gen.count_bookings(self.url, d.room_id)
        _warm, run, cpu = self._measure(server, server.url, PAGE_CONNECTIONS, requests_file=path, start=0)
        stored = gen.count_bookings(self.url, d.room_id) - before
        note = (f"room with {self.sizes.room_bookings:,} bookings; {run.rate:,.0f} req/s; {cpu}; "
                f"{stored:,} new bookings stored" + self._errors(run))
        self.row(f"booking creation (API, {PAGE_CONNECTIONS} conn)",
                 f"p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms", f"p99 < {TARGETS['booking_p99_ms']} ms",
                 run.p99_ms < TARGETS["booking_p99_ms"] and not run.errors, note)

    def page_weight(self, server: Server) -> None:
        d = self.data
        http = weight.sign_in(server.url, *d.login)
        pages = [("session page", f"/consultations/{d.session_consultation_id}" if d.session_consultation_id else ""),
                 ("vote page", d.vote_page)]
        for name, path in pages:
            if not path:
                self.row(f"page weight: {name}", "not measured", note=d.missing.get("weight", "no such page yet"))
                continue
            w = weight.page_weight(http, server.url + path)
            self.row(f"page weight: {name}", f"{w.total / 1024:.1f} KB gzip (HTML {w.html / 1024:.1f} KB + "
                     f"{w.files} CSS/JS {w.assets / 1024:.1f} KB; {w.raw / 1024:.0f} KB raw)",
                     f"< {TARGETS['page_kb']} KB", w.total < TARGETS["page_kb"] * 1024)

    def result(self) -> None:
        d = self.data
        if not d.civil_vote_id:
            self.row("civil-code result", "not measured", note=d.missing.get("result", ""))
            return
        out = child("result", d.civil_vote_id, d.moderator_id, self.env, runs=3)
        best, first = min(out["seconds"]), out["seconds"][0]
        self.row(f"civil-code result over {self.sizes.civil_ballots:,} ballots", f"{best:.2f} s (first run {first:.2f} s)",
                 f"< {TARGETS['result_s']:g} s", best < TARGETS["result_s"],
                 f"best of {len(out['seconds'])}; peak {out['peak_mb']:.0f} MB; {out.get('summary', '')}".strip("; "))

    def minutes(self) -> None:
        d = self.data
        if not d.minutes_consultation_id or gen.minutes_services() is None:
            self.row("minutes PDF", "not measured", note="deliberation.minutes.services is not there yet")
            return
        out = child("minutes", d.minutes_consultation_id, d.moderator_id, self.env)
        seconds = out["seconds"][0]
        self.row(f"minutes PDF, {self.sizes.minutes_comments:,} comments",
                 f"{seconds:.1f} s, peak {out['peak_mb']:.0f} MB (process before: {out['baseline_mb']:.0f} MB)",
                 f"< {TARGETS['minutes_s']:g} s", seconds < TARGETS["minutes_s"], f"{out['bytes'] / 1024:.0f} KB PDF")


# -- output ------------------------------------------------------------------------------------

def table(rows: list[Row]) -> str:
    header = ("database", "measurement", "figure", "target", "holds")
    cells = [header] + [(r.database, r.measurement, r.figure, r.target, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(len(header))]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(len(header))).rstrip() for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    notes = [f"  {r.database} · {r.measurement}: {r.note}" for r in rows if r.note]
    return "\n".join(lines + ([""] + notes if notes else []))


def markdown(rows: list[Row], info: dict) -> str:
    lines = [f"## {info['date']} — {info['mode']}", ""]
    if info["provisional"]:
        lines += [f"> **Not final.** {info['provisional']}", ""]
    lines += [f"Machine: {info['cores']} cores ({info['cpu']}), {info['memory']} RAM; {info['system']}; "
              f"Python {info['python']}; load average before the run {info['load_before']:.2f}, after "
              f"{info['load_after']:.2f}. Server: gunicorn, {WORKERS} workers × {THREADS} threads (gthread, "
              f"connections shared evenly); ballots on the ballot pool, {BALLOT_WORKERS} workers × "
              f"{BALLOT_THREADS} thread; on loopback; load from wrk (1 thread).", "",
              "| database | measurement | figure | target | holds | note |", "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r.database} | {r.measurement} | {r.figure} | {r.target} | {r.verdict} | {r.note} |")
    return "\n".join(lines) + "\n"


def record(section: str) -> None:
    marker = "<!-- runs: newest first -->"
    head = ("# Benchmark results\n\nRecorded by `python -m bench` (`make bench`) as measured. Each run says "
            "its date, the machine, its core count and how loaded the machine was.\n\n" + marker + "\n")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else head
    if marker not in text:
        text = head + "\n" + text
    before, after = text.split(marker, 1)
    rest = "\n" + after.lstrip("\n") if after.strip() else ""
    RESULTS.write_text(before + marker + "\n\n" + section + rest, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short runs on smaller data: checks the harness works")
    parser.add_argument("--only", action="append", choices=MEASUREMENTS, metavar="NAME",
                        help=f"only this measurement (repeatable): {', '.join(MEASUREMENTS)}")
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--seconds", type=float, help="length of each measured wrk run")
    parser.add_argument("--no-record", action="store_true", help="do not add the run to bench/RESULTS.md")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (databases, logs)")
    args = parser.parse_args(argv)

    load.wrk_path()
    sizes = gen.QUICK if args.quick else gen.FULL
    if args.seconds:
        from dataclasses import replace
        sizes = replace(sizes, seconds=args.seconds)
    only = set(args.only or MEASUREMENTS)
    databases = ["sqlite", "postgres"] if args.database == "both" else [args.database]
    settle(max(1, os.cpu_count() or 1))
    info = {**machine(), "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "mode": "quick (smaller data, short runs)" if args.quick else "full", "load_before": loadavg()}
    print(f"deliberation benchmark · {info['date']} · {info['cores']} cores ({info['cpu']}) · {info['memory']} · "
          f"load average {info['load_before']:.2f} · {info['mode']}", flush=True)

    rows: list[Row] = []
    workdir = Path(tempfile.mkdtemp(prefix="deliberation-bench-"))
    # Keys, counters and anchors of every app the benchmark starts (here, its servers, its children) live in
    # the work folder, never in the source tree's instance/.
    os.environ["INSTANCE_PATH"] = str(workdir / "instance")
    try:
        for database in databases:
            folder = workdir / database
            folder.mkdir()
            bench = Bench(database, sizes, only, folder, lambda m: print(m, flush=True))
            try:
                rows += bench.run()
            except Exception as error:  # a broken measurement must not hide the others' figures
                rows += bench.rows
                last = (str(error).strip().splitlines() or [""])[0][:200]
                rows.append(Row(database, "run stopped", f"{type(error).__name__}: {last}", holds=False))
                traceback.print_exc()
    finally:
        if args.keep:
            print(f"work folder kept: {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info["load_after"] = loadavg()
    busy = info["load_before"] > 0.5 * max(1, info["cores"])  # after the run, the load is the run's own
    reasons = []
    if args.quick:
        reasons.append("quick mode: smaller data and short runs")
    if busy:
        reasons.append(f"the machine was loaded by other work (load average {info['load_before']:.1f} at the "
                       f"start, on {info['cores']} cores)")
    info["provisional"] = ("Figures measured with " + " and ".join(reasons) + ".") if reasons else ""
    print()
    print(f"{info['cores']} cores · " + (info["provisional"] or "figures final for this machine"))
    print(table(rows))
    if not args.no_record:
        record(markdown(rows, info))
        print(f"\nrecorded in {RESULTS.relative_to(ROOT)}")
    return 0 if all(r.holds is not False for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
