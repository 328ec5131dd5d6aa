"""The minutes report who attended each joint meeting by role, and the residents' questions: how many, how
many got an official answer, and the median days to answer as Shanghai counts days — in every format."""

from __future__ import annotations

import io
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlalchemy import update

from deliberation.consultations import comments, ideas, meetings, sessions
from deliberation.consultations.models import Comment, Idea, Phase, Proposal
from deliberation.db import utcnow
from deliberation.minutes import contents as minutes_contents
from deliberation.minutes import services
from deliberation.minutes.contents import from_json, to_json
from tests.statements import recorded

SHANGHAI = ZoneInfo("Asia/Shanghai")
ATTENDANCE = "共 3 人出席：业主 1 人，其他居民 1 人，单位代表 1 人；出席单位：街道办事处（王科长）"
QUESTIONS = "居民提问 4 条（意见 3 条、心愿 1 条），获正式答复 3 条，答复用时中位数 3 天"


def local(text: str) -> datetime:
    """A Shanghai wall-clock time as the UTC instant it is stored as."""
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI).astimezone(UTC)


def _when(session, model, row_id: int, **values) -> None:
    session.execute(update(model).where(model.id == row_id).values(**values))


@pytest.fixture
def asked(session, secretary, residents, community):
    """A session whose residents asked four questions (three comments, one wish), three of them answered after
    1, 3 and 6 days on Shanghai's calendar; a meeting signed in by an owner, a tenant and the 街道."""
    owner, neighbour, tenant = residents
    consultation = sessions.create_consultation(session, secretary, community,
                                                sessions.ConsultationInput(title="加装电梯征询"))
    sessions.move_phase(session, secretary, consultation, Phase.COMMENTING)
    comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=3))
    late = comments.post_comment(session, owner, consultation, "电梯噪音怎么控制？")
    slow = comments.post_comment(session, neighbour, consultation, "一楼住户怎么补偿？")
    comments.post_comment(session, tenant, consultation, "租户能提意见吗？")  # never answered
    comments.post_comment(session, tenant, consultation, "我也关心噪音", parent_id=late.id)  # a reply: no question
    comments.post_comment(session, secretary, consultation, "欢迎大家发表意见。")  # the moderator's own: no question
    quick = comments.post_comment(session, secretary, consultation, "选用低噪音机型。", parent_id=late.id,
                                  official_answer=True)
    later = comments.post_comment(session, secretary, consultation, "按协议补偿。", parent_id=slow.id,
                                  official_answer=True)
    comments.post_comment(session, secretary, consultation, "补充：补偿标准另行公示。", parent_id=slow.id,
                          official_answer=True)  # a second answer: the first one counts
    wish = ideas.post_idea(session, owner, community, "加装电梯", "3号楼老人多，希望加装电梯")
    ideas.post_idea(session, neighbour, community, "修车棚", "车棚漏雨")  # not of this session
    proposal = ideas.promote_idea(session, secretary, wish, consultation)
    _when(session, Comment, late.id, created_at=local("2026-11-01T23:50"))
    _when(session, Comment, quick.id, created_at=local("2026-11-02T00:10"))  # 20 minutes, but the next day: 1
    _when(session, Comment, slow.id, created_at=local("2026-11-01T09:00"))
    _when(session, Comment, later.id, created_at=local("2026-11-04T20:00"))  # 3
    _when(session, Idea, wish.id, created_at=local("2026-10-30T10:00"))
    _when(session, Proposal, proposal.id, created_at=local("2026-11-05T10:00"))  # promoted after 6 days
    meeting = sessions.add_meeting(session, secretary, consultation, utcnow(), "居民区会议室", "街道、物业、居民代表")
    meetings.sign_in(session, owner, meeting)
    meetings.tick(session, secretary, meeting, [owner.person_id, tenant.person_id])
    meetings.add_department(session, secretary, meeting, "街道办事处", "王科长")
    sessions.add_meeting(session, secretary, consultation, utcnow() - timedelta(days=1), "小区广场", "居民")
    session.commit()
    return consultation


def test_the_figures_in_the_tree(session, secretary, asked):
    m = minutes_contents.assemble(session, secretary, asked)
    q = m.questions
    assert (q.asked, q.comments, q.wishes, q.answered, q.median_days) == (4, 3, 1, 3, "3")
    today, yesterday = sorted(m.meetings, key=lambda meeting: meeting.held_at, reverse=True)
    assert (today.attendance.owners, today.attendance.residents, today.attendance.departments) == (
        1, 1, ["街道办事处（王科长）"])
    assert yesterday.attendance.total == 0
    assert from_json(to_json(m)).questions == q  # a publication keeps them
    assert from_json(to_json(m)).meetings[1].attendance == today.attendance


def test_minutes_published_before_the_figures_render_without_them(session, secretary, asked):
    data = to_json(minutes_contents.assemble(session, secretary, asked))
    del data["questions"]
    for meeting in data["meetings"]:
        del meeting["attendance"]
    old = from_json(data)
    assert old.questions is None and all(m.attendance is None for m in old.meetings)
    from deliberation.minutes.render import render_markdown

    text = render_markdown(old)
    assert "居民提问" not in text and "签到" not in text


@pytest.mark.parametrize(("days", "median"), [
    pytest.param([1, 3, 6], "3", id="odd_count_the_middle"),
    pytest.param([1, 2], "1.5", id="even_count_half_way"),
    pytest.param([0], "0", id="answered_the_same_day"),
    pytest.param([], "", id="nothing_answered"),
])
def test_the_median_of_days_to_answer(session, secretary, resident, community, days, median):
    consultation = sessions.create_consultation(session, secretary, community,
                                                sessions.ConsultationInput(title="停车管理"))
    sessions.move_phase(session, secretary, consultation, Phase.COMMENTING)
    comments.open_round(session, secretary, consultation, utcnow() + timedelta(days=3))
    for n in days:
        question = comments.post_comment(session, resident, consultation, f"问题{n}")
        answer = comments.post_comment(session, secretary, consultation, "答复", parent_id=question.id,
                                       official_answer=True)
        _when(session, Comment, question.id, created_at=local("2026-11-10T08:00"))
        _when(session, Comment, answer.id, created_at=local("2026-11-10T21:00") + timedelta(days=n))
    comments.post_comment(session, resident, consultation, "还没有答复的问题")
    session.commit()
    q = minutes_contents.assemble(session, secretary, consultation).questions
    assert (q.asked, q.answered, q.median_days) == (len(days) + 1, len(days), median)


def test_assembling_costs_the_same_queries_for_more_meetings_and_questions(session, secretary, residents, asked):
    with recorded() as before:
        minutes_contents.assemble(session, secretary, asked)
    for n in range(3):
        meeting = sessions.add_meeting(session, secretary, asked, utcnow() + timedelta(days=n + 1), "会议室", "居民")
        meetings.tick(session, secretary, meeting, [r.person_id for r in residents])
        comments.post_comment(session, residents[n], asked, f"又一个问题{n}")
    session.commit()
    with recorded() as after:
        m = minutes_contents.assemble(session, secretary, asked)
    assert m.questions.asked == 7 and len(m.meetings) == 5
    assert len(after) == len(before)


def _flat(text: str) -> str:
    return "".join(text.split())


def _pdf_text(data: bytes, tmp_path) -> str:
    path = tmp_path / "minutes.pdf"
    path.write_bytes(data)
    tool = shutil.which("pdftotext")
    assert tool, "poppler-utils is needed"
    return subprocess.run([tool, str(path), "-"], capture_output=True, check=True, text=True).stdout  # noqa: S603


def _docx_text(data: bytes) -> str:
    document = Document(io.BytesIO(data))
    parts = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            parts += [cell.text for cell in row.cells]
    return "\n".join(parts)


@pytest.mark.parametrize("fmt", ["html", "md", "pdf", "docx"])
def test_every_document_format_says_the_figures(session, secretary, asked, fmt, tmp_path):
    data, _name, _type = services.export(session, secretary, asked, fmt, draft=True)
    text = {"html": lambda: data.decode(), "md": lambda: data.decode(), "pdf": lambda: _pdf_text(data, tmp_path),
            "docx": lambda: _docx_text(data)}[fmt]()
    flat = _flat(text)
    assert _flat(ATTENDANCE) in flat
    assert _flat(QUESTIONS) in flat
    assert _flat("暂无签到记录") in flat  # the meeting nobody signed in to says so


def test_the_spreadsheets_hold_the_figures_as_numbers(session, secretary, asked):
    data, _name, _type = services.export(session, secretary, asked, "xlsx", draft=True)
    book = load_workbook(io.BytesIO(data))
    questions = [[c.value for c in row] for row in book["居民提问与答复"].iter_rows()]
    assert questions == [["提问数", "其中意见", "其中心愿", "获正式答复", "答复用时中位数（天）"], [4, 3, 1, 3, 3]]
    signed = [[c.value for c in row] for row in book["联席会议签到"].iter_rows()]
    assert signed[0] == ["会议时间", "地点", "出席人数", "业主", "其他居民", "单位代表", "出席单位"]
    assert [row[1:] for row in signed[1:]] == [["小区广场", 0, 0, 0, 0, None],
                                               ["居民区会议室", 3, 1, 1, 1, "街道办事处（王科长）"]]
    csv_data, _name, _type = services.export(session, secretary, asked, "csv", draft=True)
    text = csv_data.decode("utf-8-sig")
    assert "居民提问与答复,4,3,1,3,3" in text
    assert "联席会议签到," in text and ",居民区会议室,3,1,1,1,街道办事处（王科长）" in text


def test_the_minutes_page_of_the_site_says_the_figures(client, login, secretary, asked):
    login("shuji")
    page = client.get(f"/consultations/{asked.id}/minutes")
    assert page.status_code == 200
    flat = _flat(page.get_data(as_text=True))
    assert _flat(ATTENDANCE) in flat and _flat(QUESTIONS) in flat
