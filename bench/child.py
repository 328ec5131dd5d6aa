"""Measurements run in a process of their own, so their time and peak memory are theirs alone.

    python -m bench.child minutes CONSULTATION_ID ACTOR_ID   (DATABASE_URL in the environment)
    python -m bench.child result VOTE_ID ACTOR_ID

Prints one line of JSON: seconds (each run), the peak resident set (ru_maxrss) before and after.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def main(argv: list[str]) -> int:
    what, object_id, actor_id = argv[0], int(argv[1]), int(argv[2])
    runs = int(argv[3]) if len(argv) > 3 else 1
    from deliberation import create_app
    from deliberation.accounts.models import User
    from deliberation.extensions import db

    app = create_app()
    with app.app_context(), app.test_request_context():
        session = db.session
        baseline = maxrss_mb()
        seconds, extra = [], {}
        for _run in range(runs):
            actor = session.get(User, actor_id)
            started = time.perf_counter()
            if what == "minutes":
                extra = measure_minutes(session, actor, object_id)
            elif what == "result":
                extra = measure_result(session, actor, object_id)
            else:
                raise SystemExit(f"unknown measurement {what!r}")
            seconds.append(time.perf_counter() - started)
            session.rollback()
            session.expunge_all()
        print(json.dumps({"seconds": seconds, "baseline_mb": baseline, "peak_mb": maxrss_mb(), **extra}))
    return 0


def measure_minutes(session, actor, consultation_id: int) -> dict:
    from deliberation.consultations.models import Consultation
    from deliberation.minutes import services

    consultation = session.get(Consultation, consultation_id)
    pdf, filename, mimetype = services.export(session, actor, consultation, "pdf")
    return {"bytes": len(pdf), "mimetype": mimetype}


def measure_result(session, actor, vote_id: int) -> dict:
    from bench.data import compute_result

    return compute_result(session, actor, vote_id)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
