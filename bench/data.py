"""The benchmark's data: the demo neighbourhood, then what each measurement needs, generated fast.

Everything a person would create by hand (the community, the sessions, the rooms, the votes) goes
through the app's services, so the rows are what real use writes. The bulk (voters' logins and
tokens, thousands of comments and bookings, a million ballots) is written with bulk INSERTs or
INSERT … SELECT in SQL, in seconds.
"""

from __future__ import annotations

import hashlib
import random
import secrets
import time as clock
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_migrate import upgrade
from sqlalchemy import bindparam, create_engine, insert, make_url, or_, select, text
from sqlalchemy.orm import Session

from deliberation.accounts.models import ApiToken, Community, Membership, Person, Role, User
from deliberation.accounts.passwords import hash_password
from deliberation.db import UTCDateTime, utcnow
from deliberation.voting.electorate import ADULT_AGE
from deliberation.web import migrations

VOTER_PASSWORD = "bench-password-2026"  # noqa: S105 -- the generated voters' password, for the page logins
COMMENT_TEXTS = (
    "建议把活动室的折叠门做成隔音的，白天老人活动、晚上孩子写作业互不影响。",
    "无障碍卫生间很需要，我家老人坐轮椅，现在来服务站很不方便。",
    "自行车棚并进来以后，非机动车停到哪里去？请物业先给出停车方案。",
    "施工期间的活动安排请提前公布，睦邻点太小，能否借用小学的活动室？",
    "造价里空调一项偏高，能否请两家单位比价？",
    "支持方案二，面积大一些，以后还能办四点半课堂。",
    "希望增加充电柜，楼道里充电太危险了。",
    "晚上九点以后请不要再有广场舞排练，影响休息。",
)


@dataclass(frozen=True)
class Sizes:
    voters: int = 2_000  # distinct residents with API tokens casting the ballots
    ballot_votes: int = 20  # open votes they cast in: voters × votes distinct ballots
    session_comments: int = 2_000
    minutes_comments: int = 5_000
    civil_ballots: int = 1_000_000
    room_bookings: int = 10_000
    seconds: float = 10  # each wrk run
    warmup: float = 2


FULL = Sizes()
QUICK = Sizes(voters=300, ballot_votes=8, civil_ballots=50_000, seconds=3, warmup=1)


@dataclass
class Dataset:
    community_id: int = 0
    moderator_id: int = 0
    voters: list[tuple[int, int, str]] = field(default_factory=list)  # (user id, person id, plain token)
    login: tuple[str, str] = ("", "")  # a resident's username and password, for the pages
    session_consultation_id: int = 0
    minutes_consultation_id: int = 0
    room_id: int = 0
    booking_from: datetime | None = None  # the first free half hour after the room's bookings
    ballot_vote_ids: list[int] = field(default_factory=list)
    civil_vote_id: int = 0
    vote_page: str = ""  # the path of a vote's page, for the page weight
    timings: dict[str, float] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)  # measurement -> why its data is missing


# -- the database ------------------------------------------------------------------------------

def reset_postgres(uri: str) -> None:
    """An empty schema `public` in the benchmark's own database (never the app's), created when missing."""
    url = make_url(uri)
    server = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with server.connect() as conn:
        exists = conn.scalar(text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": url.database})
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{url.database}"'))
    server.dispose()
    engine = create_engine(uri)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def checkpoint_postgres(uri: str, data: Dataset) -> None:
    """Write out what generating the data (a million ballots) left in PostgreSQL's buffers, as the bench waits for
    the machine to settle before it starts: no checkpoint of the bulk load is then left to write under the first
    measurement."""
    started = clock.perf_counter()
    engine = create_engine(uri, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text("CHECKPOINT"))
    engine.dispose()
    _timed(data, "checkpoint", started)


def migrate() -> None:
    """The real migrations; several heads are fine until the lead merges them."""
    migrations()
    upgrade(revision="heads")


def _series(dialect: str) -> tuple[str, str, str]:
    """(WITH prefix, FROM item yielding s.n = 1..:n, a JSON cast) on either database."""
    if dialect == "postgresql":
        return "", "generate_series(1, :n) AS s(n)", "json"
    return "WITH RECURSIVE s(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM s WHERE n < :n) ", "s", "text"


def _timed(data: Dataset, name: str, started: float) -> None:
    data.timings[name] = round(clock.perf_counter() - started, 2)


# -- the community and its voters --------------------------------------------------------------

def load_community(session: Session, data: Dataset) -> None:
    """The demo neighbourhood (7,500 residents, rooms, a consultation) through its own loader."""
    from deliberation.demo import COMMUNITY, load_demo

    started = clock.perf_counter()
    load_demo(session)
    session.commit()
    community = session.execute(select(Community).where(Community.name == COMMUNITY)).scalar_one()
    moderator = session.execute(select(User).where(User.username == "shuji")).scalar_one()
    data.community_id, data.moderator_id = community.id, moderator.id
    _timed(data, "demo", started)


def add_voters(session: Session, data: Dataset, n: int) -> None:
    """n adult residents of the demo community with logins, memberships and API tokens, in bulk (adults only:
    a minor's ballot is refused, and the benchmark measures ballots, not refusals)."""
    started = clock.perf_counter()
    adult = or_(Person.birth_year.is_(None), Person.birth_year <= utcnow().year - ADULT_AGE)
    person_ids = session.execute(
        select(Person.id).where(Person.community_id == data.community_id, adult,
                                Person.id.not_in(select(User.person_id).where(User.person_id.is_not(None))))
        .order_by(Person.id).limit(n)).scalars().all()
    password_hash = hash_password(VOTER_PASSWORD)
    user_ids = session.execute(insert(User).returning(User.id, sort_by_parameter_order=True), [
        {"username": f"bench{i:05d}", "display_name": f"居民{i:05d}", "password_hash": password_hash,
         "person_id": person_id, "session_token": secrets.token_urlsafe(32)}
        for i, person_id in enumerate(person_ids)
    ]).scalars().all()
    session.execute(insert(Membership), [
        {"user_id": user_id, "community_id": data.community_id, "role": Role.RESIDENT} for user_id in user_ids])
    tokens = [f"bench-{user_id}-{secrets.token_urlsafe(16)}" for user_id in user_ids]
    expires = utcnow() + timedelta(days=30)
    session.execute(insert(ApiToken), [
        {"user_id": user_id, "token_hash": hashlib.sha256(token.encode()).hexdigest(), "expires_at": expires}
        for user_id, token in zip(user_ids, tokens, strict=True)])
    session.commit()
    data.voters = list(zip(user_ids, person_ids, tokens, strict=True))
    data.login = ("bench00000", VOTER_PASSWORD)
    _timed(data, "voters", started)


# -- sessions with many comments ---------------------------------------------------------------

def _consultation_with_comments(session: Session, data: Dataset, title: str, n: int) -> int:
    """A session in its commenting phase with one open round and n comments (a fifth are replies)."""
    from deliberation.consultations import services
    from deliberation.consultations.models import Comment, Phase

    moderator = session.get(User, data.moderator_id)
    community = session.get(Community, data.community_id)
    consultation = services.create_consultation(session, moderator, community, services.ConsultationInput(
        title=title, background="基准测试生成的议事。", participants="居委会"))
    services.move_phase(session, moderator, consultation, Phase.COMMENTING)
    round_ = services.open_round(session, moderator, consultation, closes_at=utcnow() + timedelta(days=30))
    session.commit()
    rng = random.Random(n)
    authors = [user_id for user_id, _person, _token in data.voters] or [data.moderator_id]
    start = utcnow() - timedelta(days=10)
    top_n = n - n // 5
    rows = [{"consultation_id": consultation.id, "round_id": round_.id, "author_id": rng.choice(authors),
             "body": f"{rng.choice(COMMENT_TEXTS)}（第 {i + 1} 条）", "support_count": rng.randrange(0, 40),
             "created_at": start + timedelta(seconds=i * 300)} for i in range(top_n)]
    top_ids = session.execute(insert(Comment).returning(Comment.id, sort_by_parameter_order=True), rows).scalars().all()
    replies = []
    for i in range(n - top_n):
        parent = rng.choice(top_ids)
        replies.append({"consultation_id": consultation.id, "round_id": round_.id, "author_id": rng.choice(authors),
                        "parent_id": parent, "thread_id": parent, "body": f"回复：{rng.choice(COMMENT_TEXTS)}",
                        "created_at": start + timedelta(seconds=top_n * 300 + i * 60)})
    if replies:
        session.execute(insert(Comment), replies)
    session.commit()
    return consultation.id


def add_session_comments(session: Session, data: Dataset, n: int) -> None:
    started = clock.perf_counter()
    data.session_consultation_id = _consultation_with_comments(session, data, "基准：两千条意见的议事", n)
    _timed(data, "session comments", started)


def add_minutes_comments(session: Session, data: Dataset, n: int) -> None:
    started = clock.perf_counter()
    data.minutes_consultation_id = _consultation_with_comments(session, data, "基准：五千条意见的议事（纪要）", n)
    _timed(data, "minutes comments", started)


# -- a room with many bookings -----------------------------------------------------------------

def add_booked_room(session: Session, data: Dataset, n: int) -> None:
    """A room open day and night with n bookings of an hour: most past, some ahead (the history a room
    gathers in a few years); new bookings go after them. Residents' future-booking limit is raised so
    that the benchmark's residents may hold many."""
    from deliberation.booking.models import Booking, BookingSettings, BookingStatus
    from deliberation.booking.rooms import create_room
    from deliberation.booking.setup import set_opening_hours

    started = clock.perf_counter()
    moderator = session.get(User, data.moderator_id)
    community = session.get(Community, data.community_id)
    room = create_room(session, moderator, community, name="基准活动室", capacity=50,
                       description="基准测试：已有一万条预约")
    set_opening_hours(session, moderator, room, [(d, time(0), time(0)) for d in range(7)])
    session.merge(BookingSettings(community_id=community.id, max_future_bookings=1_000_000))
    session.commit()
    now = utcnow().replace(minute=0, second=0, microsecond=0)
    first = now - timedelta(hours=n - n // 10)
    bookers = [user_id for user_id, _person, _token in data.voters] or [data.moderator_id]
    session.execute(insert(Booking), [
        {"room_id": room.id, "booked_by_id": bookers[i % len(bookers)], "title": f"活动 {i + 1}", "attendance": 10,
         "starts_at": first + timedelta(hours=i), "ends_at": first + timedelta(hours=i + 1),
         "status": BookingStatus.APPROVED}
        for i in range(n)])
    session.commit()
    data.room_id = room.id
    data.booking_from = first + timedelta(hours=n + 1)
    _timed(data, "bookings", started)


def booking_requests(data: Dataset, count: int):
    """Prepared booking requests: each a new half hour after the last, residents in turn."""
    assert data.booking_from is not None
    for i in range(count):
        starts = data.booking_from + timedelta(minutes=30 * i)
        _user, _person, token = data.voters[i % len(data.voters)]
        yield ("POST", f"/api/v1/rooms/{data.room_id}/bookings", token,
               {"title": "基准预约", "attendance": 5, "starts_at": starts.isoformat(),
                "ends_at": (starts + timedelta(minutes=30)).isoformat()})


# -- votes -------------------------------------------------------------------------------------

def voting_services():
    try:
        from deliberation.voting import services
    except ImportError:
        return None
    return services


def add_ballot_votes(session: Session, data: Dataset, n: int) -> None:
    """n open votes (basis: person) of one session, for the ballot casting measurement."""
    services = voting_services()
    if services is None:
        data.missing["ballots"] = "deliberation.voting.services is not there yet"
        return
    started = clock.perf_counter()
    data.ballot_vote_ids = _open_votes(session, data, services, n)
    _timed(data, "votes", started)


def _voting_session(session: Session, data: Dataset, title: str):
    """A session in its voting phase with one proposal (the votes are on it)."""
    from deliberation.consultations import services
    from deliberation.consultations.models import Phase

    moderator = session.get(User, data.moderator_id)
    community = session.get(Community, data.community_id)
    consultation = services.create_consultation(session, moderator, community, services.ConsultationInput(
        title=title, background="基准测试生成的议事。", participants="居委会、业委会"))
    proposal = services.create_proposal(session, moderator, consultation, "更换小区大门门禁系统",
                                        "## 方案\n\n更换三处大门的门禁，费用由公共收益支出。")
    services.move_phase(session, moderator, consultation, Phase.COMMENTING)
    services.move_phase(session, moderator, consultation, Phase.VOTING)
    return moderator, consultation, proposal


def _open_votes(session: Session, data: Dataset, services, n: int) -> list[int]:
    """n open votes, one person one ballot, over the whole community (electorates frozen by the service)."""
    moderator, consultation, proposal = _voting_session(session, data, "基准：投票")
    ids = []
    for i in range(n):
        vote = services.create_vote(session, moderator, consultation, services.VoteInput(
            title=f"基准表决 {i + 1}", proposal_id=proposal.id, rule_name="simple_majority", basis="person",
            closes_at=utcnow() + timedelta(days=7)))
        services.open_vote(session, moderator, vote)
        ids.append(vote.id)
    session.commit()
    data.vote_page = f"/votes/{ids[0]}"
    return ids


def ballot_requests(data: Dataset, count: int):
    """Prepared ballots: vote after vote, each voter once per vote, so every ballot is a new one."""
    choices = ("agree", "agree", "disagree", "abstain")
    i = 0
    while i < count:
        for vote_id in data.ballot_vote_ids:
            for user_id, _person, token in data.voters:
                yield ("POST", f"/api/v1/votes/{vote_id}/ballot", token, {"choice": choices[(user_id + vote_id) % 4]})
                i += 1
                if i >= count:
                    return
        if not data.ballot_vote_ids:
            return


def add_civil_code_vote(session: Session, data: Dataset, n: int) -> None:
    """A civil-code vote (owners decide by area and by headcount) over n owners, n ballots cast.

    The vote is created by the service; its frozen electorate (what opening writes: one row per owner
    with the area they hold, building, age band) and the ballots are generated by INSERT … SELECT,
    n owners in 1,000-unit buildings, so that a million rows take seconds rather than hours.
    """
    services = voting_services()
    if services is None:
        data.missing["result"] = "deliberation.voting.services is not there yet"
        return
    started = clock.perf_counter()
    moderator, consultation, proposal = _voting_session(session, data, "基准：业主共同决定（一百万业主）")
    vote = services.create_vote(session, moderator, consultation, services.VoteInput(
        title="基准：使用公共维修资金（一百万张选票）", proposal_id=proposal.id, rule_name="civil_code_ordinary",
        closes_at=utcnow() + timedelta(days=7)))
    vote.opened_at = utcnow()
    session.commit()
    dialect = session.get_bind().dialect.name
    with_, series, json_type = _series(dialect)
    bands = ("35岁以下", "35–59岁", "60岁及以上")
    # 48.00–127.99 m², buildings of 1,000 owners, three age bands; 85% took part: 70% agree.
    voters = f"""
        INSERT INTO vote_voters (vote_id, voter_key, advisory, person_ids, area_cents, building, age_band,
                                 tenure, took_part)
        {with_}SELECT :vote, 'o:' || n, false, CAST('[' || n || ']' AS {json_type}), 4800 + (n * 37) % 8000,
               ((n - 1) / 1000 + 1) || '号楼', CASE n % 3 WHEN 0 THEN :b0 WHEN 1 THEN :b1 ELSE :b2 END, '业主', false
        FROM {series}"""  # noqa: S608 -- no outside input
    session.execute(text(voters), {"vote": vote.id, "n": n, "b0": bands[0], "b1": bands[1], "b2": bands[2]})
    ballots = f"""
        INSERT INTO ballots (vote_id, voter_key, choice, source, cast_by_id, entered_by_id, receipt_hash,
                             proposal_version, changes, cast_at, updated_at,
                             advisory, building, age_band, tenure, area_cents)
        {with_}SELECT :vote, 'o:' || n,
               CASE WHEN n % 20 < 14 THEN 'agree' WHEN n % 20 < 16 THEN 'disagree' ELSE 'abstain' END,
               CASE WHEN n % 10 = 0 THEN 'paper' ELSE 'online' END, NULL, NULL, 'bench-' || :vote || '-' || n,
               1, 0, :now, :now,
               false, ((n - 1) / 1000 + 1) || '号楼', CASE n % 3 WHEN 0 THEN :b0 WHEN 1 THEN :b1 ELSE :b2 END,
               '业主', 4800 + (n * 37) % 8000
        FROM {series} WHERE n % 100 < 85"""  # noqa: S608 -- no outside input
    # The ballots carry the voter's frozen facts, as casting writes them; the electorate's groups
    # are counted as opening counts them (the backfill finds no ballot without facts).
    session.execute(text(ballots).bindparams(bindparam("now", type_=UTCDateTime())),
                    {"vote": vote.id, "n": n, "now": utcnow(), "b0": bands[0], "b1": bands[1], "b2": bands[2]})
    services.backfill_ballot_facts(session, vote)
    session.commit()
    if dialect == "postgresql":
        session.execute(text("ANALYZE vote_voters"))
        session.execute(text("ANALYZE ballots"))
        session.commit()
    data.civil_vote_id = vote.id
    _timed(data, "million ballots", started)


def compute_result(session: Session, actor: User, vote_id: int) -> dict:
    """The result of a vote through the voting service (what the result page and the API call)."""
    from deliberation.voting import services
    from deliberation.voting.models import Vote

    report = services.vote_result(session, actor, session.get(Vote, vote_id))
    decision = report.decision
    return {"participants": report.participants, "electorate": report.electorate,
            "summary": decision.summary if decision is not None else ""}


def minutes_services():
    try:
        from deliberation.minutes import services
    except ImportError:
        return None
    return services if hasattr(services, "export") else None


# -- counting, from outside the server ---------------------------------------------------------

def _scalar(url: str, sql: str, **params) -> int:
    from deliberation.config import database_url

    engine = create_engine(database_url(url, ""))
    try:
        with engine.connect() as conn:
            return int(conn.execute(text(sql), params).scalar() or 0)
    finally:
        engine.dispose()


def count_ballots(url: str) -> int:
    return _scalar(url, "SELECT count(*) FROM ballots")


def count_bookings(url: str, room_id: int) -> int:
    return _scalar(url, "SELECT count(*) FROM bookings WHERE room_id = :r", r=room_id)
