"""A real server on loopback, a real SQLite file, Debian's Chromium driven by Playwright."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from flask_migrate import upgrade
from werkzeug.serving import make_server

from deliberation import create_app
from deliberation.extensions import db
from deliberation.web import migrations
from tests.conftest import base_config, unavailable

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "screenshots"
# How long a download of a generated document (a building's paper forms, a notice) may take: a wait, not a
# target — a PDF of a few hundred pages on a busy machine takes longer than Playwright's default 30 s.
DOCUMENT_WAIT_MS = 180_000


@pytest.fixture(scope="session")
def demo_database(tmp_path_factory) -> Path:
    """A database with the demo neighbourhood, built once; each server gets a copy."""
    from deliberation.demo import load_demo

    path = tmp_path_factory.mktemp("demo") / "demo.db"
    app = create_app(base_config("sqlite:///" + str(path)))
    with app.app_context():
        migrations()
        upgrade(revision="heads")
        load_demo(db.session)
        db.session.commit()
        db.engine.dispose()
    return path


def closing_on_collection(wsgi_app):
    """The app with each answer's iterator closed even when the server forgets to.

    Werkzeug's development server calls the iterator's ``close`` after draining the socket, and a client that
    resets the connection in that moment (a page leaving while an icon downloads) makes the drain raise first:
    the static file's handle is then left to the collector, whose ResourceWarning fails whichever test runs then.
    A generator is closed when it is collected, and its ``finally`` closes what the app gave."""

    def closing(answer):
        try:
            yield from answer
        finally:
            if hasattr(answer, "close"):
                answer.close()

    def app(environ, start_response):
        return closing(wsgi_app(environ, start_response))

    return app


@pytest.fixture
def live_server(demo_database, tmp_path):
    path = tmp_path / "live.db"
    shutil.copy(demo_database, path)
    app = create_app(base_config("sqlite:///" + str(path), WTF_CSRF_ENABLED=True, SERVER_NAME=None,
                                 TESTING=False, AUDIT_ANCHOR_FILE=str(tmp_path / "audit-anchor.json")))
    app.wsgi_app = closing_on_collection(app.wsgi_app)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_port}"
    server.app = app
    yield server
    server.shutdown()
    thread.join(timeout=5)
    with app.app_context():
        db.engine.dispose()


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        unavailable("Chromium is not installed at /usr/bin/chromium")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser):
    """A small phone: 375px wide, touch, zh-CN."""
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
    yield page
    context.close()


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
    yield page
    context.close()


def assert_accessible(page, name: str) -> None:
    """axe-core finds no serious or critical violation; a screenshot is kept to look at."""
    from axe_playwright_python.sync_playwright import Axe

    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
    results = Axe().run(page)
    bad = [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]
    assert not bad, [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in bad]


def sign_in(page, base_url: str, username: str, password: str) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#username", username)
    page.fill("#password", password)
    with page.expect_navigation():
        page.click("button[type=submit].primary")


def first_proposal(server) -> tuple[int, int]:
    """The demo's first session and its first proposal: (consultation id, proposal id)."""
    from sqlalchemy import select

    from deliberation.consultations.models import Consultation, Proposal

    with server.app.app_context():
        consultation = db.session.execute(select(Consultation).order_by(Consultation.id)).scalars().first()
        proposal = db.session.execute(select(Proposal).where(Proposal.consultation_id == consultation.id)
                                      .order_by(Proposal.id)).scalars().first()
        found = consultation.id, proposal.id
        db.session.remove()
    return found


def post_roll_and_let_it_run(page, server, vote_id: int, days: int = 7) -> None:
    """The moderator posts the vote's roll by its form and confirms; then its period is moved into the past in the
    database, as the clock would (an owners' Civil Code vote opens only after its roll, voting.roll)."""
    from datetime import timedelta

    from deliberation.db import utcnow
    from deliberation.voting.models import Vote

    page.goto(f"{server.url}/votes/{vote_id}/roll/post")
    page.fill("#days", str(days))
    with page.expect_navigation():
        page.click("#post-roll-next")
    with page.expect_navigation():
        page.click("#confirm-action")
    with server.app.app_context():
        vote = db.session.get(Vote, vote_id)
        vote.roll_posted_at = utcnow() - timedelta(days=days, minutes=1)
        vote.roll_until = utcnow() - timedelta(minutes=1)
        db.session.commit()
        db.session.remove()
    page.goto(f"{server.url}/votes/{vote_id}")


def open_vote(page, base_url: str, consultation_id: int, proposal_id: int, title: str, rule: str, *,
              secret: bool = False, closes: str | None = None, server=None) -> tuple[str, int]:
    """The moderator creates a vote on the proposal by the form and opens it: (its page's URL, its id).
    ``closes``: its planned end as the form's field takes it (local "YYYY-MM-DDTHH:MM"); none by default.
    A Civil Code vote posts its roll first (``server``: the live server, to let the period run)."""
    import re

    page.goto(f"{base_url}/consultations/{consultation_id}/votes/new")
    page.fill("#title", title)
    page.select_option("#proposal_id", str(proposal_id))
    page.check(f"#rule-{rule}")
    if secret:
        page.check("#secret")
    if closes:
        page.fill("#closes_at", closes)
    with page.expect_navigation():
        page.click("button[type=submit].primary")
    vote_url = page.url
    vote_id = int(re.search(r"/votes/(\d+)", vote_url).group(1))
    if rule.startswith("civil_code"):
        post_roll_and_let_it_run(page, server, vote_id)
    with page.expect_navigation():
        page.click("#open-vote")
    return vote_url, vote_id
