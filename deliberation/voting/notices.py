"""Notices for the wall (公告) of an owners' decision: the roll posted, the call to vote, the preliminary
result and the final announcement, each as one A4 page a secretary prints and posts in the staircases.

Each notice is a small tree of plain dataclasses (like minutes/tree.py) assembled from what the vote has
stored and the existing services only — the electorate as it would be frozen now or as it was
(electorate.counted_now, worded by labels.electorate_text with the scope: 本单元业主共 N 户…), the
result as stored at the close (results.report_for: figures by headcount and area, the checks of the
Civil Code Art. 278 double thresholds), the channels counted by Ballot.source — and rendered to PDF
(one HTML template, WeasyPrint) and DOCX (python-docx, East Asian fonts on every run). A notice never
shows anyone's choice; figures appear only on the result notices, after the close (a secret vote's
tally exists only then). A stage the vote has not reached answers NotFound with what is missing.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from flask import render_template
from flask_babel import gettext as _
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, object_session

from deliberation import audit, documents
from deliberation.charts import percent
from deliberation.db import utcnow
from deliberation.errors import Invalid, NotFound, require
from deliberation.formatting import format_datetime
from deliberation.voting import electorate, labels, paperforms, results
from deliberation.voting.models import (
    ObjectionStage,
    Vote,
    VoteBasis,
    VoteKind,
    VoteObjection,
)
from deliberation.voting.notice_tree import Fact, Notice, Section, Table
from deliberation.voting.notice_word import render_docx
from deliberation.voting.proxies import proxy_limit

STAGES = ("roll", "call", "preliminary", "final")
FORMATS = {"pdf": documents.PDF_TYPE, "docx": documents.DOCX_TYPE}
CIVIL_CODE = ("civil_code_ordinary", "civil_code_major")


def stage_title(stage: str) -> str:
    """What a stage's notice is called."""
    return {"roll": _("表决权人名册公示"), "call": _("表决公告"), "preliminary": _("表决结果公示（初步）"),
            "final": _("表决结果公告")}[stage]


def reached(vote: Vote, stage: str) -> bool:
    """Whether the vote has what the stage's notice prints: the roll posted (roll_posted_at), a voting
    period (opened or scheduled), the close (a stored decision), the announcement (announced_at)."""
    return {
        "roll": vote.roll_posted_at is not None,
        "call": vote.opened_at is not None or vote.opens_at is not None,
        "preliminary": vote.closed_at is not None and bool(vote.decision),
        "final": vote.announced_at is not None and vote.closed_at is not None and bool(vote.decision),
    }[stage]


def stages_reached(vote: Vote) -> list[tuple[str, str]]:
    """(stage, title) of every notice the vote can print now, in the order they are posted."""
    return [(stage, stage_title(stage)) for stage in STAGES if reached(vote, stage)]


def _not_reached(stage: str) -> str:
    return {"roll": _("表决权人名册尚未公示，还没有名册公示可打印"),
            "call": _("表决尚未开启，也未安排表决时间，还没有表决公告可打印"),
            "preliminary": _("表决尚未结束，结果公示要在表决结束后才能打印"),
            "final": _("表决结果尚未正式公告，结果公告要在公告后才能打印")}[stage]


# -- assembling -----------------------------------------------------------------------------------


def assemble(session: Session, actor, vote: Vote, stage: str, link: str) -> Notice:
    """The notice of one stage, for the vote's moderators; NotFound for a stage not reached (or unknown)."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以打印公告"))
    if stage not in STAGES:
        raise NotFound(_("没有这种公告"))
    if not reached(vote, stage):
        raise NotFound(_not_reached(stage))
    community = vote.consultation.community
    counted = electorate.counted_now(session, vote)
    build = {"roll": _roll, "call": _call, "preliminary": _result, "final": _result}[stage]
    notice = Notice(
        stage=stage, title=_("关于“%(subject)s”的%(what)s", subject=vote.title, what=stage_title(stage)),
        community=community.name, lead="", facts=_facts(vote, counted), tables=[], sections=[], link=link,
        committee=_("%(community)s居民委员会", community=community.name), issued_at=utcnow(),
        qr_caption=_("扫码查看表决详情"),
    )
    build(session, vote, counted, notice)
    return notice


def _when(value: datetime | None) -> str:
    return format_datetime(value) if value else _("（待定）")


def _period(start: datetime | None, end: datetime | None) -> str:
    return _("%(start)s 至 %(end)s", start=_when(start), end=_when(end))


def _facts(vote: Vote, counted: dict) -> list[Fact]:
    facts = [Fact(_("表决事项"), vote.title)]
    proposal = paperforms.proposal_title(object_session(vote), vote)
    if proposal:
        version = labels.version_text(vote) or (
            _("第 %(n)d 版", n=n) if (n := paperforms.proposal_version(vote)) else "")
        facts.append(Fact(_("表决方案"), f"《{proposal}》{version}"))
    elif vote.is_variant:
        facts.append(Fact(_("备选方案"), "；".join(f"{n}. {o.label}" for n, o in enumerate(vote.options, 1))))
    facts.append(Fact(_("表决范围"), labels.electorate_text(vote, counted)
                      or labels.scope_text(counted)))
    rule = f"{labels.rule_label(vote)}：{labels.rule_text(vote)}"
    if vote.rule_name in CIVIL_CODE and vote.kind == VoteKind.PROPOSAL:
        rule += _("（“以上”含本数，“过半数”不含本数）")
    facts.append(Fact(_("表决规则"), rule))
    facts.append(Fact(_("计票方式"), labels.basis_label(vote.basis) + _("；") + (
        _("无记名投票，只公布统计结果，不公布个人选择") if vote.secret else _("记名投票"))))
    return facts


def _roll(session: Session, vote: Vote, counted: dict, notice: Notice) -> None:
    scope = labels.scope_text(counted)
    notice.lead = _("%(scope)s表决权人名册自 %(start)s 起公示，公示期至 %(end)s。", scope=scope,
                    start=_when(vote.roll_posted_at), end=_when(vote.roll_until))
    if vote.basis == VoteBasis.OWNER:
        notice.lead += _(
            "表决权人按专有部分计算：一套房屋计一户，共有人共计一户；一人拥有多套房屋的计一户，面积合计；建设单位"
            "未出售的房屋合计一户（《最高人民法院关于审理建筑物区分所有权纠纷案件适用法律若干问题的解释》第八条、"
            "第九条）。")
    notice.facts.append(Fact(_("名册公示期"), _period(vote.roll_posted_at, vote.roll_until)))
    if vote.opens_at or vote.closes_at:
        notice.facts.append(Fact(_("计划表决时间"), _period(vote.opens_at, vote.closes_at)))
    unit_word = _unit_word(vote)
    rows = [[_("表决权人"), f"{counted.get('voters', 0):,} {unit_word}"]]
    if vote.basis == VoteBasis.OWNER:
        rows += [[_("专有面积合计"), f"{_area(counted.get('area_cents', 0))} ㎡"],
                 [_("涉及房屋"), _("%(n)s 套", n=f"{counted.get('units', 0):,}")]]
        for key, text in (("coowned_units", _("共有的房屋（每套计一户）")),
                          ("multi_unit_owners", _("拥有多套房屋的业主（每位计一户）")),
                          ("developer_units", _("建设单位持有的房屋（合计一户）"))):
            if counted.get(key):
                rows.append([text, f"{counted[key]:,}"])
    notice.tables.append(Table([_("项目"), _("数量")], rows, title=_("名册汇总")))
    notice.sections.append(Section(_("异议"), [_(
        "业主对名册所列身份、户数或专有面积有异议的，请于 %(end)s 前在网上表决页面提出，或持产权证明到"
        "%(committee)s书面提出。居民委员会核实后答复，并更正名册。", end=_when(vote.roll_until),
        committee=notice.committee)]))


def _call(session: Session, vote: Vote, counted: dict, notice: Notice) -> None:
    scope = labels.scope_text(counted)
    notice.lead = _(
        "%(committee)s现就下列事项组织%(scope)s表决权人表决。请在表决时间内以下列任一方式投票，%(one)s。",
        committee=notice.committee, scope=scope,
        one=_("每人一票") if vote.basis == VoteBasis.PERSON else _("每户只计一票"))
    notice.facts.append(Fact(_("表决时间"), _period(vote.opened_at or vote.opens_at, vote.closes_at)))
    notice.sections.append(Section(_("投票方式"), [
        _("一、网上投票：登录 %(link)s（或扫描下方二维码），进入本表决页面投票；表决结束前可以更改。",
          link=notice.link),
        _("二、纸质投票：向本楼楼组长或党群服务站领取纸质征询单，填写并签名后交回楼组长或居民委员会。"),
        _("三、委托投票：业主本人不能投票的，可书面委托他人代为投票：在网上表决页面办理，或填写纸质委托书（写明"
          "委托人、受托人、本表决事项及表决意见，或写明由受托人决定），由业主签名后交居民委员会登记。受托人按委托书"
          "投票，每人最多受托 %(limit)d 户；受托人投票前业主可以撤销委托，业主本人投票的以本人为准。",
          limit=proxy_limit()),
    ]))
    check = _("投票后会得到回执码；表决结束后公布回执清单，可凭回执码核对自己的选票是否按所投计入。")
    if vote.secret:
        check += " " + _("本表决为无记名投票：结束时断开投票人与选票的联系，只公布统计结果。")
    notice.sections.append(Section(_("核对"), [check]))


def _result(session: Session, vote: Vote, counted: dict, notice: Notice) -> None:
    report = results.report_for(session, vote)
    final = notice.stage == "final"
    notice.facts.append(Fact(_("表决时间"), _period(vote.opened_at, vote.closed_at)))
    if final:
        notice.facts.append(Fact(_("结果公示期"), _period(vote.closed_at, vote.objections_until)))
        notice.facts.append(Fact(_("公告时间"), _when(vote.announced_at)))
    else:
        notice.facts.append(Fact(_("异议期"), _period(vote.closed_at, vote.objections_until)
                                 if vote.objections_until else
                                 _("表决结束后 %(n)d 日内", n=vote.objection_days)))
    notice.tables.append(_figures(vote, report))
    explained = report.explained
    if explained is not None and explained.checks and vote.rule_name in CIVIL_CODE:
        notice.tables.append(Table([_("条件"), _("要求"), _("实际"), _("是否达到")],
                                   [[c.label or c.name, c.required_text, c.actual_text,
                                     _("达到") if c.passed else _("未达到")] for c in explained.checks],
                                   title=_("民法典第二百七十八条的两项标准")))
    ch = channels(report)
    notice.facts.append(Fact(_("投票渠道"), _("网上 %(online)d 票，纸质征询单 %(paper)d 票，书面委托 %(proxy)d 票",
                                              **ch)))
    agreed, summary = results.outcome(report)
    verdict = "" if agreed is None else (_("通过") if agreed else _("未通过"))
    outcome = Section(_("表决结果：%(verdict)s", verdict=verdict) if verdict else _("表决结果"),
                      [explained.summary if explained is not None else summary])
    notice.sections.append(outcome)
    if final:
        lodged, answered, accepted = objection_counts(session, vote)
        notice.lead = _("%(subject)s的表决结果经公示，现正式公告如下。", subject=f"“{vote.title}”")
        outcome.paragraphs.append(
            _("结果公示期内收到异议 %(n)d 件，已答复 %(d)d 件，其中成立 %(a)d 件。", n=lodged, d=answered, a=accepted)
            if lodged else _("结果公示期内未收到异议。"))
        outcome.paragraphs.append(_("本公告所列结果为最终结果。"))
    else:
        notice.lead = _("%(subject)s的表决已于 %(when)s 结束，现将初步结果公示如下。",
                        subject=f"“{vote.title}”", when=_when(vote.closed_at))
        until = _when(vote.objections_until) if vote.objections_until else _(
            "表决结束后 %(n)d 日", n=vote.objection_days)
        notice.sections.append(Section(_("异议"), [_(
            "对计票结果有异议的，请于 %(until)s 前在网上表决页面提出，或到%(committee)s书面提出。异议期满、异议"
            "答复后，正式公告表决结果。可凭回执码在回执清单中核对自己的选票。", until=until,
            committee=notice.committee)]))


def _unit_word(vote: Vote) -> str:
    return _("人") if vote.basis == VoteBasis.PERSON else _("户")


def _area(cents) -> str:
    return f"{Decimal(int(cents or 0)) / 100:,.2f}"


def _figures(vote: Vote, report: results.VoteReport) -> Table:
    """The figures by headcount (and area, for owners): the electorate, who took part, each answer."""
    unit = _unit_word(vote)
    explained = report.explained
    with_area = bool(report.areas) and explained is not None
    if vote.kind != VoteKind.PROPOSAL or explained is None:
        total = sum(n for _label, n in report.tally_rows)
        rows = [[_("表决权人"), f"{report.electorate:,}", ""],
                [_("参与表决"), f"{report.participants:,}", percent(report.participants, report.electorate)]]
        rows += [[label, f"{n:,}", percent(n, total)] for label, n in report.tally_rows]
        return Table([_("项目"), _("票数（%(unit)s）", unit=unit), _("占比")], rows, title=_("表决情况"))
    tally = explained.tally
    participants = tally.participants
    rows = [[_("表决权人"), f"{tally.electorate.headcount:,}", "—"],
            [_("参与表决"), f"{participants.headcount:,}", _("占表决权人 %(p)s", p=percent(
                participants.headcount, tally.electorate.headcount))]]
    if with_area:
        rows[0] += [f"{tally.electorate.area:,.2f}", "—"]
        rows[1] += [f"{participants.area:,.2f}", _("占总面积 %(p)s", p=percent(participants.area,
                                                                          tally.electorate.area))]
    for choice, label in labels.choice_labels().items():
        count = getattr(tally, choice)
        row = [label, f"{count.headcount:,}", _("占参与 %(p)s", p=percent(count.headcount, participants.headcount))]
        if with_area:
            row += [f"{count.area:,.2f}", _("占参与 %(p)s", p=percent(count.area, participants.area))]
        rows.append(row)
    header = [_("项目"), _("人数（%(unit)s）", unit=unit), _("占比")]
    if with_area:
        header += [_("专有面积（㎡）"), _("占比")]
    return Table(header, rows, title=_("表决情况（按人数和专有面积）") if with_area else _("表决情况"))


def channels(report: results.VoteReport) -> dict[str, int]:
    """The binding ballots by channel (Ballot.source): online, paper forms, written proxies."""
    return {"online": report.online, "paper": report.paper, "proxy": report.proxy}


def objection_counts(session: Session, vote: Vote) -> tuple[int, int, int]:
    """(lodged, answered, accepted) objections to the preliminary result: one query."""
    lodged, answered, accepted = session.execute(
        select(func.count(), func.count(VoteObjection.answered_at),
               func.coalesce(func.sum(case((VoteObjection.accepted.is_(True), 1), else_=0)), 0))
        .where(VoteObjection.vote_id == vote.id, VoteObjection.stage == ObjectionStage.RESULT)
    ).one()
    return int(lodged or 0), int(answered or 0), int(accepted or 0)


# -- rendering ------------------------------------------------------------------------------------


def render_html(notice: Notice) -> str:
    """The notice as the HTML its PDF is printed from (templates/voting/notice.html)."""
    return render_template("voting/notice.html", notice=notice, qr=paperforms.qr_svg(notice.link),
                           issued=format_datetime(notice.issued_at))


def render_pdf(notice: Notice) -> bytes:
    return documents.render_pdf(render_html(notice))


def render(notice: Notice, fmt: str) -> bytes:
    return render_pdf(notice) if fmt == "pdf" else render_docx(notice)


def filename(vote: Vote, notice: Notice, fmt: str) -> str:
    return f"{vote.title}-{stage_title(notice.stage)}.{fmt}"


def export(session: Session, actor, vote: Vote, stage: str, fmt: str, link: str) -> tuple[bytes, str, str]:
    """(file bytes, file name, MIME type) of a stage's notice in PDF or DOCX, for the vote's moderators.

    Like a minutes export, the download is recorded in the audit log; the chain's head is then anchored
    and printed on the notice (issue 20), so the posted paper can be checked against the log later.
    """
    fmt = (fmt or "").lower().lstrip(".")
    if fmt not in FORMATS:
        raise Invalid(_("不支持的格式：%(f)s（可选 %(all)s）", f=fmt, all="、".join(FORMATS)),
                      fields={"format": _("格式无效")})
    notice = assemble(session, actor, vote, stage, link)
    audit.record(session, actor, "vote.notice", vote, community_id=vote.community_id, stage=stage, format=fmt)
    session.flush()
    head = audit.anchor(session, "notice", community_id=vote.community_id)
    notice.audit_head = head.printed if head else ""
    return render(notice, fmt), filename(vote, notice, fmt), FORMATS[fmt]
