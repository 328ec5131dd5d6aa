"""Results and minutes on a 375 px phone, in normal and 关怀版 (large text) mode: a ranked vote's result
(first choices and the pairwise table, long option titles), a survey's results and the minutes never
make the page scroll sideways; wide tables scroll inside their own box."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import SCREENSHOTS, assert_accessible, sign_in
from e2e.test_minutes import publish_demo_minutes
from tests.announced import close_and_announce

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 375
VARIANTS = ("方案二：将服务站并入东侧车棚改建的二层活动用房（含无障碍电梯与室外坡道）",
            "方案三：暂缓改造，先用街道补贴租用临街商铺作为过渡活动室")


def _prepare(app) -> dict[str, str]:
    """A closed ranked vote over three long-titled variants (ties at the top), then the published minutes."""
    from deliberation.accounts.models import User
    from deliberation.consultations import services as consultations
    from deliberation.consultations.demo import TITLE
    from deliberation.consultations.models import Consultation, Phase
    from deliberation.extensions import db
    from deliberation.surveys.demo import TITLE as SURVEY_TITLE
    from deliberation.surveys.models import Survey
    from deliberation.voting import services as voting

    with app.app_context():
        session = db.session
        consultation = session.execute(select(Consultation).where(Consultation.title == TITLE)).scalar_one()
        secretary = session.execute(select(User).where(User.username == "shuji")).scalar_one()
        first = consultation.proposals[0]
        variants = [consultations.create_proposal(session, secretary, consultation, title, "说明", is_variant=True)
                    for title in VARIANTS]
        if consultation.effective_phase.order < Phase.VOTING.order:
            consultations.move_phase(session, secretary, consultation, Phase.VOTING)
        vote = voting.create_vote(session, secretary, consultation, voting.VoteInput(
            title="三个改造方案排序（舒尔茨法）", kind="ranked", option_proposal_ids=[first.id, *(v.id for v in variants)]))
        voting.open_vote(session, secretary, vote)
        a, b, c = (o.key for o in vote.options)
        for username, ranking in (("resident1", [[a, b], c]), ("resident2", [b, c, a]), ("resident3", [[a, b, c]])):
            user = session.execute(select(User).where(User.username == username)).scalar_one()
            voting.cast_ballot(session, user, vote, ranking)
        close_and_announce(session, secretary, vote)  # the minutes are published with the final result
        survey_id = session.execute(select(Survey.id).where(Survey.title == SURVEY_TITLE)).scalar_one()
        vote_id = vote.id
        db.session.remove()
    consultation_id = publish_demo_minutes(app)
    return {"vote-result": f"/votes/{vote_id}/result", "survey-result": f"/surveys/{survey_id}/results",
            "minutes": f"/consultations/{consultation_id}/minutes"}


WIDE_ELEMENTS = """[...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 376 && !e.closest('.doc-scroll, .table-wrap'))
  .slice(0, 6).map(e => e.tagName + '.' + e.className + ' ' + Math.round(e.getBoundingClientRect().right))"""


@pytest.mark.parametrize("care", [False, True], ids=["normal", "care"])
def test_results_and_minutes_fit_a_375px_phone(live_server, phone, care):
    pages = _prepare(live_server.app)
    sign_in(phone, live_server.url, "shuji", DEMO_PASSWORD)
    if care:
        with phone.expect_navigation():
            phone.click("#care-toggle")
        assert phone.get_attribute("#care-toggle", "aria-pressed") == "true"
    assert phone.viewport_size["width"] == PHONE_WIDTH
    SCREENSHOTS.mkdir(exist_ok=True)
    widths = {}
    for name, path in pages.items():
        phone.goto(live_server.url + path)
        widths[name] = phone.evaluate("document.documentElement.scrollWidth")
        if widths[name] > PHONE_WIDTH:  # name the elements that stick out, to say what to fix
            widths[name + " wide"] = phone.evaluate(WIDE_ELEMENTS)
        phone.screenshot(path=str(SCREENSHOTS / f"narrow-{name}{'-care' if care else ''}.png"), full_page=True)
        if name == "vote-result":
            assert phone.locator("table.pairwise").count() == 1
            assert "并列第一" in phone.inner_text("main")
        if name == "minutes":
            assert phone.locator(".minutes-doc table.pairwise").count() == 1
    assert all(width <= PHONE_WIDTH for name, width in widths.items() if " " not in name), widths
    phone.goto(live_server.url + pages["vote-result"])
    assert_accessible(phone, f"narrow-vote-result-axe{'-care' if care else ''}")
