"""The secretary builds a five-question survey, two residents answer on phones (one anonymously, one signed,
in 关怀版), a paper form is typed in, and the results page and both exports show the numbers given here."""

from __future__ import annotations

import csv
import io
import re

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from deliberation.demo import DEMO_PASSWORD
from e2e.conftest import DOCUMENT_WAIT_MS, assert_accessible, sign_in

pytestmark = pytest.mark.e2e

QUESTIONS = [
    {"kind": "multiple", "text": "您希望增加哪些空间？", "options": "阅览室\n儿童活动区\n健身角\n食堂", "max_choices": "2",
     "allow_other": True},
    {"kind": "single", "text": "您多久去一次党群服务站？", "options": "每周\n每月\n很少", "required": True},
    {"kind": "scale_1_5", "text": "您对现在的服务站满意吗？", "required": True},
    {"kind": "ranking", "text": "请给开放时段排序", "options": "上午\n下午\n晚上"},
    {"kind": "long_text", "text": "还有什么想说的？"},
]


def new_phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 740}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True, locale="zh-CN")
    page = context.new_page()
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog fired: {dialog.message}"))
    return page


def question(page, text):
    return page.locator("fieldset.question", has=page.locator(f"legend:has-text('{text}')"))


def submit(page, selector):
    with page.expect_navigation():
        page.click(selector)


def care_on(page):
    with page.expect_navigation():
        page.click("#care-toggle")
    assert page.evaluate("document.documentElement.classList.contains('care')")


def test_survey_journey(live_server, desktop, browser):
    url = live_server.url
    from deliberation.accounts.models import Building, Community, Unit
    from deliberation.extensions import db

    with live_server.app.app_context():
        community_id = db.session.execute(select(Community.id).where(Community.name == "银杏居民区")).scalar()
        building_id, building_name, room = db.session.execute(
            select(Building.id, Building.name, Unit.room).join(Unit, Unit.building_id == Building.id)
            .where(Building.community_id == community_id).order_by(Building.sort_key, Unit.room).limit(1)).one()

    # -- the secretary builds the survey on a desktop --------------------------------------------
    sign_in(desktop, url, "shuji", DEMO_PASSWORD)
    desktop.goto(f"{url}/communities/{community_id}/surveys")
    submit(desktop, "text=新建问卷")
    desktop.fill("#title", "党群服务站使用需求调查")
    desktop.fill("#intro", "服务站改造前，想先听听大家的需要。约需三分钟。")
    desktop.check("input[name=anonymity][value=choice]")
    assert_accessible(desktop, "surveys-settings-desktop")
    submit(desktop, "button:has-text('保存')")
    survey_id = int(re.search(r"/surveys/(\d+)/builder", desktop.url).group(1))
    for spec in QUESTIONS:
        form = desktop.locator("#add-question")
        form.locator("select[name=kind]").select_option(spec["kind"])
        form.locator("input[name=text]").fill(spec["text"])
        if "options" in spec:
            form.locator("textarea[name=options]").fill(spec["options"])
        if "max_choices" in spec:
            form.locator("input[name=max_choices]").fill(spec["max_choices"])
        if spec.get("allow_other"):
            form.locator("input[name=allow_other]").check()
        if spec.get("required"):
            form.locator("input[name=required]").check()
        submit(desktop, "#add-question button[type=submit]")
        assert "问题已添加" in desktop.inner_text(".flashes")
    # The first two were added the wrong way round: the single choice moves up, with a plain button.
    submit(desktop, "button[aria-label='第 2 题上移']")
    titles = desktop.locator(".builder-question .qhead").all_inner_texts()
    assert titles == ["1. 您多久去一次党群服务站？", "2. 您希望增加哪些空间？", "3. 您对现在的服务站满意吗？",
                      "4. 请给开放时段排序", "5. 还有什么想说的？"]
    assert_accessible(desktop, "surveys-builder-desktop")
    submit(desktop, "text=预览")
    assert "这是居民看到的样子" in desktop.inner_text("main")
    assert desktop.locator("fieldset.question:not(.sign-choice)").count() == 5
    assert_accessible(desktop, "surveys-preview-desktop")
    desktop.goto(f"{url}/surveys/{survey_id}/builder")
    submit(desktop, "button:has-text('发布问卷')")
    assert "问卷已发布" in desktop.inner_text(".flashes")

    # The printable form: an A4 PDF.
    pdf = desktop.context.request.get(f"{url}/surveys/{survey_id}/paper.pdf", timeout=DOCUMENT_WAIT_MS)
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf" and pdf.body()[:4] == b"%PDF"

    # -- resident1 answers on a phone, anonymously, and the draft survives a dropped connection ----
    first = new_phone(browser)
    sign_in(first, url, "resident1", DEMO_PASSWORD)
    first.goto(f"{url}/surveys/{survey_id}")
    assert "这份问卷由您选择署名或匿名" in first.inner_text("#anonymity-notice")
    submit(first, "text=开始填写")
    assert first.is_checked("input[name=anonymous][value='1']")  # anonymous unless they choose to sign
    question(first, "您多久去一次").get_by_label("每周").check()
    question(first, "增加哪些空间").get_by_label("阅览室").check()
    question(first, "增加哪些空间").get_by_label("健身角").check()
    question(first, "满意吗").get_by_label("4").check()
    ranking = question(first, "开放时段")
    ranking.get_by_label("晚上").select_option("1")
    ranking.get_by_label("上午").select_option("2")
    ranking.get_by_label("下午").select_option("3")
    question(first, "还有什么想说的").locator("textarea").fill("希望晚上开放")
    expect(first.locator("#autosave-status")).to_contain_text("草稿已自动保存")
    first.context.set_offline(True)
    question(first, "还有什么想说的").locator("textarea").fill("希望晚上开放，到九点")
    expect(first.locator("#autosave-status")).to_contain_text("网络断开")
    first.context.set_offline(False)
    first.evaluate("window.dispatchEvent(new Event('online'))")
    expect(first.locator("#autosave-status")).to_contain_text("草稿已自动保存")
    first.reload()
    assert question(first, "还有什么想说的").locator("textarea").input_value() == "希望晚上开放，到九点"
    assert first.is_checked("input[value='4'][name^=q]")
    assert_accessible(first, "surveys-answer-phone")
    submit(first, "button[value=submit]")
    assert "答卷已提交" in first.inner_text(".flashes")
    assert_accessible(first, "surveys-detail-phone")

    # -- resident2 answers signed, in 关怀版; a forgotten required question keeps what was typed ----
    second = new_phone(browser)
    sign_in(second, url, "resident2", DEMO_PASSWORD)
    second.goto(f"{url}/surveys/{survey_id}/answer")
    care_on(second)
    second.check("input[name=anonymous][value='0']")
    question(second, "您多久去一次").get_by_label("每周").check()
    question(second, "增加哪些空间").get_by_label("儿童活动区").check()
    question(second, "增加哪些空间").locator("input.other-text").fill("菜场")
    submit(second, "button[value=submit]")
    error = question(second, "满意吗").locator("p.error")
    assert error.inner_text() == "此题为必答题，请作答"
    assert question(second, "增加哪些空间").locator("input.other-text").input_value() == "菜场"
    assert second.is_checked("input[name=anonymous][value='0']")
    assert_accessible(second, "surveys-answer-error-phone-care")
    question(second, "满意吗").get_by_label("2").check()
    submit(second, "button[value=submit]")
    assert "答卷已提交" in second.inner_text(".flashes")
    assert_accessible(second, "surveys-detail-phone-care")

    # -- the secretary types in a paper form ----------------------------------------------------
    desktop.goto(f"{url}/surveys/{survey_id}/paper")
    desktop.select_option("#building_id", str(building_id))
    desktop.fill("#room", room)
    question(desktop, "您多久去一次").get_by_label("很少").check()
    question(desktop, "增加哪些空间").get_by_label("阅览室").check()
    question(desktop, "满意吗").get_by_label("5").check()
    question(desktop, "还有什么想说的").locator("textarea").fill("纸质意见：=SUM(A1)")
    assert_accessible(desktop, "surveys-paper-entry-desktop")
    submit(desktop, "button:has-text('保存这份')")
    assert f"已录入 {room}" in desktop.inner_text(".flashes")
    assert "已录入 1 份纸质问卷" in desktop.inner_text("main")

    # -- the results page shows the numbers given above ----------------------------------------
    desktop.goto(f"{url}/surveys/{survey_id}/results")
    assert desktop.inner_text("#response-count") == "3"
    sections = desktop.locator("section.result")

    def rows(n):
        return [re.sub(r"\s+", " ", r).strip() for r in sections.nth(n).locator("tbody tr").all_inner_texts()]

    assert rows(0) == ["每周 2 67%", "每月 0 0%", "很少 1 33%"]
    assert rows(1) == ["阅览室 2 67%", "儿童活动区 1 33%", "健身角 1 33%", "食堂 0 0%", "其他 1 33%"]
    assert rows(2) == ["1 分 0 0%", "2 分 1 33%", "3 分 0 0%", "4 分 1 33%", "5 分 1 33%"]
    assert "平均分 3.67" in sections.nth(2).inner_text()
    assert rows(3) == ["上午 0 0% 2.00", "下午 0 0% 3.00", "晚上 1 100% 1.00"]
    texts = sections.nth(4).locator("ul.texts li").all_inner_texts()
    assert texts == ["希望晚上开放，到九点", "纸质意见：=SUM(A1)"]
    assert sections.nth(0).locator("svg[role=img]").count() == 1
    assert building_name in desktop.inner_text("#breakdown-building")
    assert_accessible(desktop, "surveys-results-desktop")
    # The same answers by building: three answers, two of them unsigned, are too few to show by group
    # (fewer than 5: deliberation.disclosure).
    buildings = desktop.context.request.get(f"{url}/surveys/{survey_id}/results?by=building").text()
    assert "不足 5 份答卷的分组不单独列出（共 3 份）" in buildings and 'class="counts cross"' not in buildings
    care_on(desktop)
    assert_accessible(desktop, "surveys-results-desktop-care")

    # -- and so do both exports -----------------------------------------------------------------
    raw = desktop.context.request.get(f"{url}/surveys/{survey_id}/results.csv").body()
    assert raw.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = table[0], table[1:]
    assert len(body) == 3
    column = {name: header.index(name) for name in header}
    assert sorted(r[column["1. 您多久去一次党群服务站？"]] for r in body) == ["很少", "每周", "每周"]
    assert sorted(r[column["3. 您对现在的服务站满意吗？"]] for r in body) == ["2", "4", "5"]
    assert sorted(r[column["来源"]] for r in body) == ["纸质", "网上", "网上"]
    names = sorted(r[column["姓名"]] for r in body)
    assert names.count("（匿名）") == 2  # paper without a name, resident1 anonymous
    assert len([n for n in names if n != "（匿名）"]) == 1  # resident2 signed
    paper = next(r for r in body if r[column["来源"]] == "纸质")
    # An unsigned form keeps no room, and its row no building either (nor a time of day).
    assert paper[column["楼栋"]] == "" and paper[column["室号"]] == "" and room not in paper
    assert paper[column["录入人"]] == "王秀英"
    assert paper[column["5. 还有什么想说的？"]] == "纸质意见：=SUM(A1)"
    book = load_workbook(io.BytesIO(desktop.context.request.get(f"{url}/surveys/{survey_id}/results.xlsx").body()))
    counts = [row for row in book["统计"].iter_rows(values_only=True)][1:]
    # Shares are numeric cells (shown as 67% by their number format), so a spreadsheet can compute with them.
    shares = {(row[0], row[2]): (row[3], row[4]) for row in counts}
    assert shares[(1, "每周")] == (2, pytest.approx(2 / 3)) and shares[(2, "其他")] == (1, pytest.approx(1 / 3))
    answers = list(book["答卷"].iter_rows(values_only=True))
    assert len(answers) == 4 and answers[0][0] == "序号"

    # -- after the close, residents see the results too, on a phone, in both modes -------------
    desktop.goto(f"{url}/surveys/{survey_id}")
    submit(desktop, "a:has-text('立即截止')")
    assert "确认立即截止" in desktop.inner_text("h1")  # nothing closes before the second step
    submit(desktop, "#confirm-action")
    assert "问卷已截止" in desktop.inner_text(".flashes")
    first.goto(f"{url}/surveys/{survey_id}/results")
    assert first.inner_text("#response-count") == "3"
    assert first.locator("text=导出 CSV").count() == 0
    assert_accessible(first, "surveys-results-phone")
    care_on(first)
    assert_accessible(first, "surveys-results-phone-care")
    assert first.evaluate("document.documentElement.scrollWidth") <= 375
