"""关怀版 as MIIT's 2021 适老化 rules ask, on a 375 px phone: every tap target of the front door (待我参与), the
community's page, a session with its comments, the wish wall, a vote and a survey measures at least 48 px each
way (header links, breadcrumbs, sort links and inline links included, line by line), text keeps
a line spacing of at least 1.3, a 朗读 button reads proposals, votes and survey questions aloud through the
browser's own zh-CN speech synthesis and is hidden where there is none; axe is clean in both modes."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import SCREENSHOTS, assert_accessible, first_proposal, sign_in

pytestmark = pytest.mark.e2e

MIN_TAP = 48
# Everything a finger can tap that is on the screen: links, buttons, fields, and the label a checkbox or
# radio button sits in (that label is what is tapped). Off-screen skip links and hidden inputs are not.
# A link measures by its line boxes (getClientRects), so one that wraps inside text is not passed on the
# height of the lines it spans together.
SMALL_TARGETS = """(min) => {
  const targets = [...document.querySelectorAll(
    'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button]')];
  const out = [];
  for (const e of targets) {
    const style = getComputedStyle(e);
    if (style.display === 'none' || style.visibility === 'hidden' || e.closest('[hidden]')) continue;
    const whole = e.getBoundingClientRect();
    if (whole.width === 0 || whole.height === 0 || whole.right <= 0 || whole.bottom <= 0) continue;
    // A link inside text that wraps is one box per line: each line must be tall enough to tap, and the
    // line boxes together wide enough.
    let lines = [...e.getClientRects()].filter(r => r.width > 0 && r.height > 0);
    if ((e.type === 'checkbox' || e.type === 'radio') && e.closest('label')) lines = [e.closest('label').getBoundingClientRect()];
    const width = lines.reduce((sum, r) => sum + r.width, 0);
    const height = Math.min(...lines.map(r => r.height));
    if (width < min || height < min)
      out.push(`${e.tagName.toLowerCase()}.${e.className} “${(e.innerText || e.value || e.name || '').trim().slice(0, 16)}” `
               + `${Math.round(width)}×${Math.round(height)}` + (lines.length > 1 ? ` (${lines.length} lines)` : ''));
  }
  return out;
}"""
# Every element with its own text: the computed line spacing, as a multiple of its font size.
TIGHT_LINES = """(min) => [...document.querySelectorAll('body *')]
  .filter(e => [...e.childNodes].some(n => n.nodeType === 3 && n.textContent.trim()) && e.offsetParent !== null)
  .map(e => { const s = getComputedStyle(e); const lh = parseFloat(s.lineHeight);
              return [e.tagName + '.' + e.className, isNaN(lh) ? 1.2 : lh / parseFloat(s.fontSize)]; })
  .filter(([, ratio]) => ratio < min).slice(0, 8)"""
# A browser without speech synthesis, and one with it that records what it was asked to say.
NO_SPEECH = """
Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: undefined });
Object.defineProperty(window, 'SpeechSynthesisUtterance', { configurable: true, value: undefined });"""
FAKE_SPEECH = """
window.__spoken = [];
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
Object.defineProperty(window, 'speechSynthesis', { configurable: true, value: {
  speaking: false,
  getVoices: () => [{ lang: 'zh-CN', name: '普通话' }],
  speak(u) { window.__spoken.push([u.text, u.lang]); },
  cancel() { window.__spoken.push(['<cancel>', '']); },
}});"""


def _pages(app) -> dict[str, str]:
    """The signed-in front door (待我参与), the community's page, the demo session with its comments and their
    sort links, the wish wall, the demo vote (opened) and the demo survey's answer page."""
    from deliberation.accounts.models import Community, User
    from deliberation.consultations.demo import TITLE as SESSION_TITLE
    from deliberation.consultations.models import Consultation
    from deliberation.extensions import db
    from deliberation.surveys.demo import TITLE as SURVEY_TITLE
    from deliberation.surveys.models import Survey
    from deliberation.voting import services as voting
    from deliberation.voting.demo import TITLE as VOTE_TITLE
    from deliberation.voting.models import Vote

    with app.app_context():
        session = db.session
        secretary = session.execute(select(User).where(User.username == "shuji")).scalar_one()
        vote = session.execute(select(Vote).where(Vote.title == VOTE_TITLE)).scalar_one()
        voting.open_vote(session, secretary, vote)
        session.commit()
        community_id = session.execute(select(Community.id).where(Community.name == "银杏居民区")).scalar()
        survey_id = session.execute(select(Survey.id).where(Survey.title == SURVEY_TITLE)).scalar()
        consultation_id = session.execute(select(Consultation.id).where(Consultation.title == SESSION_TITLE)).scalar()
        pages = {"home": "/", "community": f"/communities/{community_id}",
                 "session": f"/consultations/{consultation_id}", "wishes": f"/communities/{community_id}/ideas",
                 "vote": f"/votes/{vote.id}", "survey": f"/surveys/{survey_id}/answer"}
        db.session.remove()
    return pages


def _care(page, on: bool) -> None:
    if (page.get_attribute("#care-toggle", "aria-pressed") == "true") != on:
        with page.expect_navigation():
            page.click("#care-toggle")


def test_every_tap_target_is_large_in_care_mode_and_axe_is_clean_in_both(live_server, phone):
    url = live_server.url
    pages = _pages(live_server.app)
    phone.goto(url + "/")
    _care(phone, True)
    problems = {}
    if small := phone.evaluate(SMALL_TARGETS, MIN_TAP):
        problems["welcome"] = small
    sign_in(phone, url, "resident1", DEMO_PASSWORD)
    for name, path in pages.items():
        phone.goto(url + path)
        _care(phone, True)
        assert phone.evaluate("parseFloat(getComputedStyle(document.body).fontSize)") >= 20
        if name in ("session", "wishes"):  # the sort links (最新, 支持最多) are measured too
            assert phone.locator("nav.sort a").count() >= 1, name
        if small := phone.evaluate(SMALL_TARGETS, MIN_TAP):
            problems[name] = small
        if tight := phone.evaluate(TIGHT_LINES, 1.3):
            problems[name + " lines"] = tight
        assert phone.evaluate("document.documentElement.scrollWidth") <= 376, name
        SCREENSHOTS.mkdir(exist_ok=True)
        phone.screenshot(path=str(SCREENSHOTS / f"care-{name}-375.png"), full_page=True)
        assert_accessible(phone, f"care-{name}-phone-care")
        _care(phone, False)
        if tight := phone.evaluate(TIGHT_LINES, 1.3):
            problems[name + " lines (ordinary)"] = tight
        assert_accessible(phone, f"care-{name}-phone")
    assert problems == {}, "\n".join(f"{page}: {found}" for page, found in problems.items())


def _phone(browser, script: str | None = None):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    if script:
        context.add_init_script(script)
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
    return context, page


def test_the_speak_button_reads_aloud_in_chinese_where_the_browser_can_and_is_hidden_where_it_cannot(
        live_server, browser):
    url = live_server.url
    pages = {name: path for name, path in _pages(live_server.app).items() if name in ("vote", "survey")}
    _consultation_id, proposal_id = first_proposal(live_server)
    pages["proposal"] = f"/proposals/{proposal_id}"

    # This Chromium as it is: the buttons show exactly when it has speech synthesis.
    context, page = _phone(browser)
    sign_in(page, url, "resident1", DEMO_PASSWORD)
    for path in pages.values():
        page.goto(url + path)
        has_speech = page.evaluate("!!window.speechSynthesis && typeof SpeechSynthesisUtterance === 'function'")
        assert page.locator("button.speak").count() >= 1, path
        assert page.locator("button.speak:visible").count() == (page.locator("button.speak").count() if has_speech
                                                                 else 0), path
    context.close()

    # A browser without it: every button stays hidden, nothing else changes.
    context, page = _phone(browser, NO_SPEECH)
    sign_in(page, url, "resident1", DEMO_PASSWORD)
    for path in pages.values():
        page.goto(url + path)
        assert page.locator("button.speak").count() >= 1 and page.locator("button.speak:visible").count() == 0, path
    context.close()

    # A browser with it: the button reads the page's words in zh-CN; a second tap stops.
    context, page = _phone(browser, FAKE_SPEECH)
    sign_in(page, url, "resident1", DEMO_PASSWORD)
    page.goto(url + pages["vote"])
    button = page.locator("button.speak").first
    assert button.is_visible() and button.inner_text().startswith("朗读")
    assert button.get_attribute("aria-pressed") == "false"
    button.click()
    spoken = [s for s in page.evaluate("window.__spoken") if s[0] != "<cancel>"]
    title = page.inner_text("h1")
    assert len(spoken) == 1 and spoken[0][1] == "zh-CN"
    assert spoken[0][0].startswith(title) and "需参与表决的业主" in spoken[0][0] and "朗读" not in spoken[0][0]
    assert button.inner_text().startswith("停止朗读") and button.get_attribute("aria-pressed") == "true"
    button.click()
    assert page.evaluate("window.__spoken")[-1][0] == "<cancel>" and button.inner_text().startswith("朗读")
    assert button.get_attribute("aria-pressed") == "false"

    page.goto(url + pages["survey"])
    assert page.locator("fieldset.question button.speak:visible").count() == page.locator("fieldset.question").count()
    page.locator("fieldset.question").first.locator("button.speak").click()
    said = [s for s in page.evaluate("window.__spoken") if s[0] != "<cancel>"][-1][0]
    first_legend = page.locator("fieldset.question legend").first.inner_text()
    assert said.startswith(first_legend.split("（")[0].strip()) and "朗读" not in said

    page.goto(url + pages["proposal"])
    page.locator("button.speak").first.click()
    said = [s for s in page.evaluate("window.__spoken") if s[0] != "<cancel>"][-1][0]
    assert said.startswith(page.inner_text("h1")) and len(said) > len(page.inner_text("h1")) + 20
    assert_accessible(page, "care-proposal-speak-phone")
    context.close()


def test_invite_slips_print_four_to_an_a4_sheet_with_the_flat(live_server, desktop, tmp_path):
    import re
    import subprocess

    from deliberation.accounts.models import Community
    from deliberation.extensions import db

    url = live_server.url
    with live_server.app.app_context():
        community_id = db.session.execute(select(Community.id).where(Community.name == "银杏居民区")).scalar()
        db.session.remove()
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/communities/{community_id}/roster")
    boxes = desktop.locator("input[name=person_id]")
    for i in range(5):
        boxes.nth(i).check()
    with desktop.expect_navigation():
        desktop.click("text=为勾选的居民发放邀请码")
    assert desktop.locator(".slip").count() == 5
    assert all(re.search(r"号楼.+室 · ", text) for text in desktop.locator(".slip-unit").all_inner_texts())
    pdf = tmp_path / "slips.pdf"
    desktop.pdf(path=str(pdf), format="A4", print_background=True)

    def poppler(*args: str) -> str:
        return subprocess.run(args, capture_output=True, text=True, check=True).stdout  # noqa: S603

    assert int(re.search(r"Pages:\s+(\d+)", poppler("pdfinfo", str(pdf))).group(1)) == 2
    codes = []
    for number in ("1", "2"):
        text = poppler("pdftotext", "-f", number, "-l", number, str(pdf), "-")
        codes.append(len(re.findall(r"[A-Z2-9]{4}-[A-Z2-9]{4}", text)))
        assert "号楼" in text and "议事平台" in text and "退出" not in text  # no header on paper
    assert codes == [4, 1]
    poppler("pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(pdf), str(SCREENSHOTS / "care-slips"))
