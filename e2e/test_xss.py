"""Stored XSS: every payload of tests/security/payloads.txt through every field a user writes, then
the pages that show them opened in Chromium: no dialog, no script runs (window.__xss stays
undefined), and the DOM holds no injected handler, script, frame or javascript: link.
"""

from __future__ import annotations

from datetime import time, timedelta
from pathlib import Path

import pytest

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import sign_in
from tests.security.conftest import png_bytes

pytestmark = pytest.mark.e2e

PAYLOADS = [line for line in (Path(__file__).resolve().parent.parent / "tests/security/payloads.txt")
            .read_text().splitlines() if line and not line.startswith("#")]
CHUNK = 12

# Anything the page's own templates never produce, found in the rendered DOM.
INJECTED = """() => {
  const found = [];
  for (const el of document.querySelectorAll('*')) {
    for (const attr of el.getAttributeNames()) {
      if (attr.toLowerCase().startsWith('on')) found.push(el.tagName + '[' + attr + ']');
    }
    const tag = el.tagName.toLowerCase();
    if (['iframe', 'object', 'embed', 'base', 'meta', 'form'].includes(tag) && el.closest('main')
        && !(tag === 'form' && (el.getAttribute('action') || '').startsWith('/'))
        && !(tag === 'form' && !el.hasAttribute('action'))) found.push(tag);
    if (tag === 'script' && !(el.getAttribute('src') || '').startsWith('/static/')) found.push('script');
    for (const name of ['href', 'src', 'action', 'formaction', 'xlink:href', 'data']) {
      const v = (el.getAttribute(name) || '').replace(/[\\s\\u0000-\\u001f]/g, '').toLowerCase();
      if (v.startsWith('javascript:') || v.startsWith('vbscript:') || v.startsWith('data:text')) {
        found.push(tag + '[' + name + '=' + v.slice(0, 30) + ']');
      }
    }
  }
  return found;
}"""


def _chunks(items, size=CHUNK):
    return [items[i:i + size] for i in range(0, len(items), size)]


@pytest.fixture
def seeded(live_server):
    """Payloads written through the services, as residents and the secretary would."""
    from sqlalchemy import select

    from deliberation.accounts.models import Building, Community, Person, User
    from deliberation.booking.bookings import create_booking
    from deliberation.booking.models import Booker, Noise
    from deliberation.booking.rooms import create_room
    from deliberation.booking.schedule import local_slot, local_today, week_start
    from deliberation.booking.setup import set_max_future_bookings, set_opening_hours
    from deliberation.consultations import services as consult
    from deliberation.consultations.models import Phase
    from deliberation.db import utcnow
    from deliberation.extensions import db

    app = live_server.app
    with app.app_context():
        s = db.session
        secretary = s.execute(select(User).where(User.username == "shuji")).scalar_one()
        resident = s.execute(select(User).where(User.username == "resident1")).scalar_one()
        community = s.get(Community, secretary.moderated_community_ids[0])
        resident.display_name = PAYLOADS[0][:50]
        consultation = consult.create_consultation(
            s, secretary, community, consult.ConsultationInput(title="XSS 检查 " + PAYLOADS[1][:150],
                                                               background="\n\n".join(PAYLOADS[:CHUNK])))
        consult.move_phase(s, secretary, consultation, Phase.COMMENTING)
        consult.open_round(s, secretary, consultation, utcnow() + timedelta(days=7))
        proposals = []
        for i, chunk in enumerate(_chunks(PAYLOADS, 40)):
            proposal = consult.create_proposal(
                s, secretary, consultation, chunk[0][:190] or f"方案{i}", "\n\n".join(chunk),
                pictures=[(png_bytes(), name[:200]) for name in chunk[:2]])
            proposals.append(proposal.id)
        for chunk in _chunks(PAYLOADS):
            consult.post_comment(s, resident, consultation, "\n".join(chunk))
        ideas = []
        for chunk in _chunks(PAYLOADS, 40):
            ideas.append(consult.post_idea(s, resident, community, chunk[0][:100], "\n".join(chunk)).id)
        building = s.execute(select(Building).where(Building.community_id == community.id)).scalars().first()
        for i, payload in enumerate(PAYLOADS):
            s.add(Person(community=community, name=payload[:50], tenure="family", birth_year=1990,
                         phone=f"1390000{i:04d}"))
        room = create_room(s, secretary, community, name="XSS 检查室", capacity=30, noise=Noise.NORMAL,
                           needs_approval=False, booker=Booker.RESIDENTS)
        set_opening_hours(s, secretary, room, [(d, time(6), time(23)) for d in range(7)])
        set_max_future_bookings(s, secretary, community, 100)
        monday = week_start(local_today()) + timedelta(days=7)
        for i, payload in enumerate(PAYLOADS[:60]):
            day, hour = monday + timedelta(days=i // 15), 7 + i % 15
            starts_at, ends_at = local_slot(day, time(hour), time(hour, 50))
            create_booking(s, resident, room, title=payload[:200], attendance=2, starts_at=starts_at,
                           ends_at=ends_at)
        # Survey answers: long texts and an "other" choice, from every demo resident who can sign in.
        from deliberation.surveys import answering, builder

        survey = builder.create_survey(s, secretary, community, builder.SurveyInput(
            title="XSS 检查问卷 " + PAYLOADS[2][:100], intro="\n".join(PAYLOADS[:CHUNK])))
        questions = [builder.add_question(s, secretary, survey, builder.QuestionInput(
            "long_text", f"问题{i} " + PAYLOADS[i][:150])) for i in range(4)]
        choice = builder.add_question(s, secretary, survey, builder.QuestionInput(
            "single", "选择 " + PAYLOADS[5][:100], options=[p[:100] for p in PAYLOADS[6:9]], allow_other=True))
        builder.publish_survey(s, secretary, survey)
        respondents = s.execute(select(User).where(User.username.in_(["resident1", "resident2", "resident3"]))
                                ).scalars().all()
        slots = _chunks(PAYLOADS, -(-len(PAYLOADS) // (len(respondents) * len(questions))))
        for r, user in enumerate(respondents):
            answers = {q.id: answering.AnswerInput(text="\n".join(slots[r * len(questions) + i]))
                       for i, q in enumerate(questions) if r * len(questions) + i < len(slots)}
            answers[choice.id] = answering.AnswerInput(other=True, other_text=PAYLOADS[10 + r][:100])
            answering.save_response(s, user, survey, answers, submit=True)
        s.commit()
        return {"survey": survey.id, "community": community.id, "consultation": consultation.id, "proposals": proposals,
                "ideas": ideas, "room": room.id, "building": building.id if building else None,
                "monday": monday.isoformat()}


def _check(page, url: str, dialogs: list) -> int:
    page.goto(url)
    page.wait_for_load_state("load")
    page.mouse.move(200, 300)  # a hover, for the payloads that wait for one
    page.keyboard.press("Tab")
    assert page.evaluate("typeof window.__xss") == "undefined", url
    assert not dialogs, (url, dialogs)
    injected = page.evaluate(INJECTED)
    assert not injected, (url, injected[:10])
    return len(page.content())


def test_no_payload_runs_on_any_page_that_shows_it(live_server, seeded, browser):
    url = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    c = seeded["community"]
    pages = {
        "resident1": [
            f"/consultations/{seeded['consultation']}",
            f"/consultations/{seeded['consultation']}?sort=newest",
            f"/communities/{c}/consultations",
            f"/communities/{c}/ideas",
            *[f"/ideas/{i}" for i in seeded["ideas"]],
            *[f"/proposals/{p}" for p in seeded["proposals"]],
            f"/rooms/{seeded['room']}?week={seeded['monday']}",
            "/bookings/mine",
            "/notifications",
            f"/surveys/{seeded['survey']}",
            f"/surveys/{seeded['survey']}/answer",
        ],
        "shuji": [
            f"/consultations/{seeded['consultation']}",
            f"/communities/{c}/moderation",
            *[f"/communities/{c}/roster?page={n}" for n in range(1, 7)],
            f"/communities/{c}/roster?q=%3Cscript%3E",
            f"/communities/{c}/members",
            f"/communities/{c}/rooms/week?week={seeded['monday']}",
            f"/communities/{c}/rooms/queue",
            f"/surveys/{seeded['survey']}/results",
            f"/surveys/{seeded['survey']}",
            f"/communities/{c}/surveys",
        ],
    }
    seen = 0
    for username, paths in pages.items():
        context.clear_cookies()
        sign_in(page, url, username, DEMO_PASSWORD)
        for path in paths:
            seen += _check(page, url + path, dialogs) > 0
    assert seen == sum(len(p) for p in pages.values())
    assert not errors, errors[:5]
    # The payloads really were on the pages, shown as text.
    page.goto(f"{url}/consultations/{seeded['consultation']}")
    assert "window.__xss=1" in page.inner_text("body")
    context.close()


def test_exports_of_the_payloads_hold_no_formula(live_server, seeded):
    """The survey's CSV and XLSX exports, downloaded as the secretary, with every payload in them."""
    import csv
    import io

    from openpyxl import load_workbook

    from deliberation import documents

    client = live_server.app.test_client()
    client.application.config["WTF_CSRF_ENABLED"] = False
    assert client.post("/login", data={"username": "shuji", "password": DEMO_PASSWORD}).status_code == 302
    response = client.get(f"/surveys/{seeded['survey']}/results.csv")
    assert response.status_code == 200 and response.headers["Content-Disposition"].startswith("attachment")
    text = response.get_data().decode("utf-8-sig")
    assert "window.__xss=1" in text
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            assert not cell.startswith(documents.FORMULA_STARTS), cell
    response = client.get(f"/surveys/{seeded['survey']}/results.xlsx")
    assert response.status_code == 200
    for sheet in load_workbook(io.BytesIO(response.get_data())).worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", cell.value
                assert not (isinstance(cell.value, str) and cell.value.startswith(documents.FORMULA_STARTS))
