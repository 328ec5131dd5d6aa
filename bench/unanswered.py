"""`python -m bench.unanswered`: the list of units not answered yet, right after a vote opens.

3,000 units in 30 buildings of two staircases, one owner each (one flat in ten co-owned by a couple),
a tenant in one in five; an earlier vote opened and answered by all, every table analysed, then a civil-code vote with
residents' advice opened through the voting service, so the planner's statistics know nothing of the
new vote's electorate (as on a running site just after an opening). Then, with no ANALYZE, the first page of the list (count,
page, names: what the page runs) is timed on SQLite and PostgreSQL, and PostgreSQL's plan printed.
Target: under 200 ms. Not a test: it prints figures.

    python -m bench.unanswered [--database sqlite|postgres|both] [--units 3000]

PostgreSQL: UNANSWERED_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test_bench_unanswered);
its schema `public` is dropped and rebuilt: never point it at real data.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import insert, select, text

TARGET_MS = 200
POSTGRES_URL = os.environ.get("UNANSWERED_DATABASE_URL",
                              "postgresql://postgres@127.0.0.1:5432/test_bench_unanswered")


def _load(session, units: int) -> None:
    """The community, its units, owners and tenants in bulk; a consultation and its proposal by the services."""
    from deliberation.accounts.models import (
        Building,
        Community,
        Household,
        Membership,
        Ownership,
        Person,
        Role,
        Unit,
    )
    from deliberation.accounts.services import create_user

    community = Community(name="基准居民区", district="")
    session.add(community)
    session.flush()
    per_building = 100
    buildings = [{"community_id": community.id, "name": f"{b}号楼", "sort_key": f"{b:06d}{b}号楼"}
                 for b in range(1, units // per_building + 1)]
    session.execute(insert(Building), buildings)
    building_ids = session.execute(select(Building.id).where(Building.community_id == community.id)
                                   .order_by(Building.id)).scalars().all()
    rows = []
    for n in range(units):
        floor, door = divmod(n % per_building, 4)
        rows.append({"building_id": building_ids[n // per_building], "room": f"{floor + 1}0{door + 1}",
                     "area": Decimal("60.00") + n % 50, "staircase": f"{door // 2 + 1}单元"})
    session.execute(insert(Unit), rows)
    unit_ids = session.execute(select(Unit.id).order_by(Unit.id)).scalars().all()
    session.execute(insert(Household), [{"unit_id": u} for u in unit_ids])
    households = dict(session.execute(select(Household.unit_id, Household.id)).all())
    persons = []
    for n, unit_id in enumerate(unit_ids):
        persons.append({"community_id": community.id, "household_id": households[unit_id], "name": f"业主{n}",
                        "tenure": "owner", "birth_year": 1950 + n % 50, "phone": f"139{n:08d}"})
        if n % 10 == 0:
            persons.append({"community_id": community.id, "household_id": households[unit_id],
                            "name": f"配偶{n}", "tenure": "family", "birth_year": 1955, "phone": f"138{n:08d}"})
        if n % 5 == 1:
            persons.append({"community_id": community.id, "household_id": households[unit_id],
                            "name": f"租户{n}", "tenure": "tenant", "birth_year": 1990, "phone": f"137{n:08d}"})
    session.execute(insert(Person), persons)
    owners = session.execute(select(Person.id, Person.household_id).where(Person.tenure.in_(("owner", "family")))
                             ).all()
    by_household = {h: u for u, h in households.items()}
    session.execute(insert(Ownership), [{"person_id": p, "unit_id": by_household[h]} for p, h in owners])
    moderator = create_user(session, None, "shuji", "bench-password-2026", "书记")
    session.add(Membership(user=moderator, community_id=community.id, role=Role.MODERATOR))
    session.commit()


def _roll_posted_and_run(vote) -> None:
    """An owners' Civil Code vote opens after its roll was posted and its period ran (voting.roll): as if a week ago."""
    from datetime import timedelta

    from deliberation.db import utcnow

    vote.roll_posted_at = utcnow() - timedelta(days=8)
    vote.roll_until = utcnow() - timedelta(days=1)


def _open_vote(session):
    from deliberation.accounts.models import Community, User
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.db import utcnow
    from deliberation.voting.lifecycle import VoteInput, create_vote, open_vote

    moderator = session.execute(select(User).where(User.username == "shuji")).scalar_one()
    community = session.execute(select(Community)).scalar_one()
    consultation = consultations.create_consultation(session, moderator, community, consultations.ConsultationInput(
        title="基准：加装电梯", background="基准测试生成的议事。"))
    proposal = consultations.create_proposal(session, moderator, consultation, "加装电梯方案", "方案内容")
    consultations.move_phase(session, moderator, consultation, Phase.VOTING)
    earlier = create_vote(session, moderator, consultation, VoteInput(
        title="是否同意使用维修资金", proposal_id=proposal.id, rule_name="civil_code_ordinary", advisory_all=True))
    _roll_posted_and_run(earlier)
    open_vote(session, moderator, earlier)  # an earlier vote: the statistics know its electorate only
    session.execute(text(  # … and its ballots, one per voter
        "INSERT INTO ballots (vote_id, voter_key, choice, source, receipt_hash, changes, cast_at, updated_at)"
        " SELECT vote_id, voter_key, 'agree', 'online', 'bench-' || voter_key, 0, :now, :now"
        " FROM vote_voters WHERE vote_id = :vote"), {"vote": earlier.id, "now": utcnow().replace(tzinfo=None)})
    vote = create_vote(session, moderator, consultation, VoteInput(
        title="是否同意加装电梯", proposal_id=proposal.id, rule_name="civil_code_major", advisory_all=True))
    _roll_posted_and_run(vote)
    session.commit()
    session.execute(text("ANALYZE"))  # statistics of everything: the new vote's electorate is not in them
    session.commit()
    started = time.perf_counter()
    open_vote(session, moderator, vote)
    session.commit()
    return vote.id, time.perf_counter() - started


def run(uri: str, units: int) -> dict:
    from bench.data import migrate, reset_postgres
    from deliberation import create_app
    from deliberation.extensions import db
    from deliberation.voting.models import Vote
    from deliberation.voting.paper import unanswered_units

    if uri.startswith("postgresql"):
        reset_postgres(uri)
    app = create_app({"SQLALCHEMY_DATABASE_URI": uri, "SECRET_KEY": "bench", "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context(), app.test_request_context():
        migrate()
        session = db.session
        _load(session, units)
        vote_id, opening = _open_vote(session)
        times = []
        for _ in range(5):
            session.expire_all()
            vote = session.get(Vote, vote_id)
            started = time.perf_counter()
            page = unanswered_units(session, vote, per_page=50, page=1)
            times.append((time.perf_counter() - started) * 1000)
            session.rollback()
        plan = ""
        if uri.startswith("postgresql"):
            plan = _plan(session, vote_id)
        db.session.remove()
        db.engine.dispose()
    return {"total": page.total, "first_ms": times[0], "median_ms": statistics.median(times), "plan": plan,
            "opening_s": opening}


def _plan(session, vote_id: int) -> str:
    """EXPLAIN ANALYZE of the page query, as SQLAlchemy compiles it for PostgreSQL."""
    from sqlalchemy.dialects import postgresql

    from deliberation.voting.models import Vote
    from deliberation.voting.paper import unanswered_units

    captured = []

    class Capture:
        def execute(self, stmt, *args, **kwargs):
            captured.append(stmt)
            return session.execute(stmt, *args, **kwargs)

        def __getattr__(self, name):
            return getattr(session, name)

    unanswered_units(Capture(), session.get(Vote, vote_id), per_page=50, page=1)
    page_query = captured[0]  # [the page with its total, the names…]
    sql = str(page_query.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
    rows = session.execute(text("EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY ON) " + sql)).scalars().all()
    session.rollback()
    return "\n".join(rows)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgres", "both"), default="both")
    parser.add_argument("--units", type=int, default=3000)
    args = parser.parse_args(argv)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    targets = []
    if args.database in ("sqlite", "both"):
        folder = tempfile.mkdtemp(prefix="bench-unanswered-")
        targets.append(("SQLite", f"sqlite:///{folder}/bench.db"))
    if args.database in ("postgres", "both"):
        targets.append(("PostgreSQL", POSTGRES_URL))
    ok = True
    for name, uri in targets:
        figures = run(uri, args.units)
        held = figures["median_ms"] < TARGET_MS and figures["first_ms"] < TARGET_MS
        ok &= held
        print(f"{name}: {args.units} units, {figures['total']} not answered right after opening "
              f"(opening {figures['opening_s']:.2f} s): first page {figures['first_ms']:.1f} ms, "
              f"median of 5 {figures['median_ms']:.1f} ms — target {TARGET_MS} ms {'held' if held else 'MISSED'}")
        if figures["plan"]:
            print(figures["plan"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
