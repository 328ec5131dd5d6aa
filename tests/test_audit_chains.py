"""One hash chain per community (and one for the site): each verifies on its own, a tampered event is
reported in its own chain only, anchors and printed heads are per chain, and on PostgreSQL an append
waits only for appends of its own community (issue 21, item 5)."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Community, User
from deliberation.audit import SITE, AuditAnchor, AuditEvent
from deliberation.consultations.models import Consultation, Proposal
from deliberation.voting.models import Vote


@pytest.fixture
def two_communities(session, make_community):
    """银杏 and 梧桐 with three events each, interleaved, and two of the site's."""
    a, b = make_community("银杏居民区"), make_community("梧桐居民区")
    for i in range(3):
        audit.record(session, None, "test.event", a, n=i)
        audit.record(session, None, "test.event", community_id=b.id, n=i)
    audit.record(session, None, "auth.login_failed", username="nobody")
    audit.record(session, None, "test.site")
    session.commit()
    return a.id, b.id  # ids: verify empties the session


def _events(session, chain: int) -> list[AuditEvent]:
    return session.execute(select(AuditEvent).where(AuditEvent.chain == chain).order_by(AuditEvent.id)).scalars().all()


def _by_chain(result) -> dict:
    return {report.chain: report for report in result.chains}


def _tamper(session, is_postgres, *statements, **params):
    """What someone with the database's keys (not the app's) could do: the append-only triggers switched off."""
    if is_postgres:
        session.execute(text("SET LOCAL session_replication_role = replica"))
    for statement in statements:
        session.execute(text(statement), params)
    session.commit()


def test_each_community_has_its_own_chain_linked_event_to_event(session, two_communities):
    a, b = two_communities
    for chain in (a, b, SITE):
        events = _events(session, chain)
        assert events[0].prev_hash == audit.GENESIS
        assert [e.prev_hash for e in events[1:]] == [e.hash for e in events[:-1]]
    assert len(_events(session, a)) == len(_events(session, b)) == 3
    result = audit.verify(session)
    assert result.ok and result.count == 8
    assert {chain: report.count for chain, report in _by_chain(result).items()} == {SITE: 2, a: 3, b: 3}


def test_verify_reports_every_chain_by_its_communitys_name(app, two_communities):
    result = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert result.exit_code == 0, result.output
    for line in ("银杏居民区的链：完好，3 条事件", "梧桐居民区的链：完好，3 条事件", "站点的链：完好，2 条事件",
                 "审计日志完好：3 条链共 8 条事件"):
        assert line in result.output


@pytest.mark.parametrize("attack", [
    pytest.param("UPDATE audit_events SET action = 'test.forged' WHERE id = {second}", id="edited"),
    pytest.param("DELETE FROM audit_events WHERE id = {second}", id="deleted"),
    pytest.param("UPDATE audit_events SET data = '{{\"n\": 7}}' WHERE id = {first}", id="data_changed"),
    pytest.param("UPDATE audit_events SET id = CASE id WHEN {first} THEN 1001 WHEN {second} THEN {first} END "
                 "WHERE id IN ({first}, {second})", id="reordered"),
])
def test_a_tampered_event_is_reported_in_its_communitys_chain_only(app, session, two_communities, is_postgres,
                                                                   attack):
    a, b = two_communities
    first, second = (e.id for e in _events(session, a)[:2])
    _tamper(session, is_postgres, attack.format(first=first, second=second))
    result = audit.verify(session)
    chains = _by_chain(result)
    assert not result.ok and not chains[a].ok
    assert chains[b].ok and chains[SITE].ok
    assert all(problem.startswith(f"居民区 {a}的链：") for problem in result.problems)
    printed = app.test_cli_runner().invoke(args=["audit", "verify"])
    assert printed.exit_code == 1
    assert "梧桐居民区的链：完好，3 条事件" in printed.output and "站点的链：完好" in printed.output
    assert "银杏居民区的链：发现" in printed.output and "1 条链发现" in printed.output


def test_an_event_moved_to_another_communitys_chain_is_reported(session, two_communities, is_postgres):
    a, b = two_communities
    moved = _events(session, a)[-1]
    _tamper(session, is_postgres, "UPDATE audit_events SET chain = :b WHERE id = :id", b=b, id=moved.id)
    chains = _by_chain(audit.verify(session))
    assert any("被移到了别的链" in p for p in chains[b].problems)
    assert chains[SITE].ok


def test_a_communitys_cut_tail_is_reported_from_its_anchor_and_only_there(app, session, two_communities,
                                                                          is_postgres):
    a, b = two_communities
    anchored = app.test_cli_runner().invoke(args=["audit", "anchor"])
    assert anchored.exit_code == 0 and anchored.output.count("链头已锚定") == 3
    assert session.execute(select(AuditAnchor.chain).order_by(AuditAnchor.id)).scalars().all() == [SITE, a, b]
    last = _events(session, b)[-1]
    _tamper(session, is_postgres, "DELETE FROM audit_anchors", "DELETE FROM audit_events WHERE id = :id",
            id=last.id)
    chains = _by_chain(audit.verify(session))  # the rows are gone; the anchor file remembers each chain
    assert [p for p in chains[b].problems if "末尾被截去" in p]
    assert chains[a].ok and chains[SITE].ok


def test_anchoring_one_community_keeps_the_others_entries_of_the_anchor_file(app, session, two_communities):
    a, b = two_communities
    head_a = audit.anchor(session, "minutes", community_id=a)
    head_b = audit.anchor(session, "notice", community_id=b)
    session.commit()
    kept = json.loads(Path(app.config["AUDIT_ANCHOR_FILE"]).read_text())["chains"]
    assert {key: entry["event_id"] for key, entry in kept.items()} == {
        str(a): head_a.event_id, str(b): head_b.event_id}
    assert head_a == audit.head(session, a) and head_a.event_id != head_b.event_id
    assert audit.verify(session, printed=[head_a.printed, head_b.printed]).ok


@pytest.mark.parametrize(("make", "expected"), [
    pytest.param(lambda: Community(id=7, name="银杏"), 7, id="the_community_itself"),
    pytest.param(lambda: Vote(community_id=7), 7, id="its_community_id"),
    pytest.param(lambda: Proposal(consultation=Consultation(community_id=7)), 7, id="through_its_consultation"),
    pytest.param(lambda: User(username="root"), None, id="a_user_is_the_sites"),
    pytest.param(lambda: None, None, id="nothing_is_the_sites"),
])
def test_the_community_of_an_event_is_found_from_its_object(app, make, expected):
    assert audit.community_of(make()) == expected


def _old_events(connection, community_id: int, n: int = 3) -> tuple[int, str]:
    """Events as written before the split: one chain for all, no `chain` column given; (last id, last hash)."""
    prev = audit.GENESIS
    for i in range(n):
        row = {"created_at": audit.utcnow(), "actor_id": None, "community_id": community_id, "action": "test.old",
               "object_type": None, "object_id": None, "data": {"n": i}, "prev_hash": prev}
        row["hash"] = audit._digest(prev, row["created_at"], None, community_id, "test.old", None, None, row["data"])
        connection.execute(AuditEvent.__table__.insert(), {**row, "mac": audit.mac(row["hash"])})
        prev = row["hash"]
    return connection.execute(select(AuditEvent.id).order_by(AuditEvent.id.desc())).scalar(), prev


def test_the_migration_leaves_the_old_log_as_the_legacy_chain(tmp_path):
    """Upgrading a database with events: they keep their hashes (`chain` NULL) and still verify."""
    from flask_migrate import upgrade

    from deliberation import create_app
    from deliberation.extensions import db
    from deliberation.web import migrations
    from tests.conftest import base_config

    app = create_app(base_config("sqlite:///" + str(tmp_path / "chains.db"),
                                 AUDIT_ANCHOR_FILE=str(tmp_path / "anchor.json")))
    with app.app_context():
        migrations()
        upgrade(revision="l3g4lcyc1e01")
        with db.engine.begin() as conn:
            last_id, prev = _old_events(conn, 5)
        before = db.session.execute(text("SELECT id, hash FROM audit_events ORDER BY id")).all()
        db.session.rollback()
        upgrade(revision="heads")
        assert db.session.execute(text("SELECT id, hash FROM audit_events ORDER BY id")).all() == before
        audit.record(db.session, None, "test.new", community_id=5)
        db.session.commit()
        assert _events(db.session, 5)[0].prev_hash == prev
        result = audit.verify(db.session)
        assert result.ok and [(r.chain, r.count) for r in result.chains] == [(None, 3), (5, 1)]
        db.session.remove()
        db.engine.dispose()


def test_the_legacy_chain_keeps_its_hashes_and_anchors_and_new_chains_grow_from_its_end(app, session,
                                                                                         make_community, is_postgres):
    """The log as it was before the split (one chain, `chain` NULL, an anchor and an anchor file of the old
    form) still verifies untouched; each community's first event links to its last hash."""
    community = make_community("银杏居民区")
    last_id, prev = _old_events(session, community.id)
    session.add(AuditAnchor(chain=None, event_id=last_id, hash=prev, reason="minutes", mac=audit.mac(last_id, prev)))
    with open(app.config["AUDIT_ANCHOR_FILE"], "w") as old_file:
        json.dump({"event_id": last_id, "hash": prev, "mac": audit.mac(last_id, prev)}, old_file)
    audit.record(session, None, "test.new", community)
    audit.record(session, None, "test.site")
    session.commit()
    assert [e.prev_hash for e in (_events(session, community.id) + _events(session, SITE))] == [prev, prev]
    result = audit.verify(session, printed=[f"#{last_id} {prev[:16]}"])
    assert result.ok, result.problems
    assert [report.chain for report in result.chains] == [None, SITE, community.id]
    _tamper(session, is_postgres, "DELETE FROM audit_events WHERE id = :id", id=last_id)
    legacy = _by_chain(audit.verify(session))[None]
    assert any("末尾被截去" in p for p in legacy.problems)


# -- PostgreSQL: one community's open transaction holds up its own chain only ------------------------

def _append_in_thread(url: str, app, community_id: int, done: dict) -> threading.Thread:
    """Append one event of a community on a connection of its own, as another request would."""
    def append():
        engine = create_engine(url)
        try:
            with app.app_context(), Session(engine) as other:
                audit.record(other, None, "test.append", community_id=community_id)
                other.commit()
                done[community_id] = time.monotonic()
        finally:
            engine.dispose()
    thread = threading.Thread(target=append)
    thread.start()
    return thread


def _waiting_on_chain(session, community_id: int) -> int:
    """Sessions waiting for the advisory lock of a community's chain (the two-number form: objsubid 2)."""
    return session.execute(text(
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
        "AND classid = :key AND objid = :chain AND objsubid = 2"), {"key": audit._PG_LOCK_KEY, "chain": community_id}
    ).scalar()


def test_an_open_append_in_one_community_holds_up_its_own_chain_and_no_other(app, session, two_communities,
                                                                          is_postgres):
    if not is_postgres:
        pytest.skip("SQLite has one writer at a time by design; the chain locks are PostgreSQL's")
    a, b = two_communities
    url = session.get_bind().url.render_as_string(hide_password=False)
    holder_engine = create_engine(url)
    done: dict[int, float] = {}
    try:
        with Session(holder_engine) as holder:
            audit.record(holder, None, "test.held", community_id=a)  # A's chain locked until commit
            other = _append_in_thread(url, app, b, done)
            other.join(timeout=20)
            assert b in done, "an append in 梧桐 waited for an open transaction of 银杏"
            same = _append_in_thread(url, app, a, done)
            deadline = time.monotonic() + 20
            while _waiting_on_chain(session, a) == 0 and time.monotonic() < deadline:
                time.sleep(0.05)
            session.rollback()
            assert _waiting_on_chain(session, a) == 1 and a not in done
            assert _waiting_on_chain(session, b) == 0
            holder.commit()
        same.join(timeout=20)
        assert a in done
    finally:
        holder_engine.dispose()
    session.expire_all()
    assert audit.verify(session).ok
    assert [e.action for e in _events(session, a)][-2:] == ["test.held", "test.append"]


def test_a_communitys_work_lands_on_its_chain_and_only_accounts_on_the_sites(session, make_community, make_user):
    """A session through to a cast ballot: every event is on the community's chain, but the API token's."""
    from deliberation.accounts.services import issue_api_token
    from deliberation.consultations import services as consultations
    from deliberation.consultations.models import Phase
    from deliberation.voting import casting
    from deliberation.voting import services as voting

    community = make_community("银杏居民区")
    moderator = make_user("moderator", community, role="moderator")
    resident = make_user("voter", community)
    consultation = consultations.create_consultation(session, moderator, community, consultations.ConsultationInput(
        title="大门门禁更换", background="每个事件在哪条链上"))
    proposal = consultations.create_proposal(session, moderator, consultation, "更换门禁", "更换三处大门的门禁")
    consultations.move_phase(session, moderator, consultation, Phase.COMMENTING)
    consultations.move_phase(session, moderator, consultation, Phase.VOTING)
    vote = voting.create_vote(session, moderator, consultation, voting.VoteInput(
        title="是否更换门禁", proposal_id=proposal.id, rule_name="simple_majority", basis="person"))
    voting.open_vote(session, moderator, vote)
    issue_api_token(session, resident, timedelta(days=1))
    casting.cast_ballot(session, resident, vote, "agree")
    session.commit()
    site = {e.action for e in _events(session, SITE)}
    mine = {e.action for e in _events(session, community.id)}
    assert site <= {"user.create", "auth.token_issued"} and "auth.token_issued" in site
    assert {"consultation.create", "proposal.create", "consultation.phase", "vote.create", "vote.open",
            "ballot.cast"} <= mine
