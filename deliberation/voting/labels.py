"""What a vote's kind, basis, state, rule, options and choices are called, in the reader's language."""

from __future__ import annotations

import json
from decimal import Decimal

from flask_babel import get_locale, to_user_timezone
from flask_babel import gettext as _

from deliberation import rules
from deliberation.accounts import demographics
from deliberation.voting.models import BallotSource, Vote, VoteBasis, VoteKind, VoteState


def choice_labels() -> dict[str, str]:
    """The words of agree, disagree and abstain."""
    return {"agree": _("同意"), "disagree": _("不同意"), "abstain": _("弃权")}


def state_label(state: VoteState) -> str:
    """A vote's state in words."""
    return {VoteState.DRAFT: _("未开始"), VoteState.OPEN: _("投票中"), VoteState.CLOSED: _("已结束")}[state]


def result_stage_label(vote: Vote) -> str:
    """A closed vote's result in words: 结果公示中 (preliminary, objections taken) or 已公告 (final);
    the state's words before the close."""
    if vote.closed_at is None:
        return state_label(vote.state)
    return _("结果公示中") if vote.is_preliminary() else _("已公告")


def preliminary_label(vote: Vote) -> str:
    """What a preliminary result is called wherever it is shown: 初步结果（公示中，至 12 月 5 日 23:00）;
    "" once announced (or before the close)."""
    if not vote.is_preliminary():
        return ""
    if vote.objections_until is None:
        return _("初步结果（公示中）")
    local = to_user_timezone(vote.objections_until)
    return _("初步结果（公示中，至 %(month)d 月 %(day)d 日 %(time)s）", month=local.month, day=local.day,
             time=local.strftime("%H:%M"))


def kind_label(kind: VoteKind) -> str:
    """What kind of vote it is, in words."""
    return {
        VoteKind.PROPOSAL: _("对方案表决（同意/不同意/弃权）"),
        VoteKind.SINGLE: _("多个方案中选一个"),
        VoteKind.APPROVAL: _("认可投票（可选多个方案）"),
        VoteKind.RANKED: _("排序投票（舒尔茨法）"),
    }[kind]


def basis_label(basis: VoteBasis) -> str:
    """Who counts as one voter, in words."""
    return {
        VoteBasis.PERSON: _("每人一票"),
        VoteBasis.HOUSEHOLD: _("每户一票（家中第一位投票的成员代表全户）"),
        VoteBasis.OWNER: _("每位业主一票（拥有多套房屋的业主只投一次，面积合计）"),
    }[basis]


def source_label(source: BallotSource | str) -> str:
    """Where a ballot came from: online, a paper form, or a proxy the owner authorised in writing."""
    return {BallotSource.PAPER: _("纸质征询单"), BallotSource.PROXY: _("书面委托")}.get(source, _("网上"))


def objection_kind_label(kind: str) -> str:
    """What an objection is about (voting.objections.KINDS), in words."""
    return {
        "area": _("面积有误"), "owner": _("业主有误或已过户"), "missing": _("房屋或业主遗漏"),
        "ballot": _("我的表决票不在名单中"), "count": _("计票有误"),
    }.get(kind, _("其他"))


def rule_words() -> rules.Words:
    """How the rules word their names, checks and verdicts for this reader: their own Chinese, or the
    catalogue's translation (rules.py writes the source texts and never looks a translation up)."""
    locale = get_locale()
    return rules.chinese if locale is None or locale.language == "zh" else _


def explain(decision: rules.Decision | None) -> rules.Decision | None:
    """A decision worded for the reader (groups named in words), from the same rule and figures.

    The stored decision stays the record, in Chinese (DESIGN §3); pages and the API show this one.
    """
    if decision is None:
        return None
    return rules.decide(decision.rule, decision.tally, words=rule_words(),
                        group_words=lambda group, value: str(demographics.value_label(group, value)))


def preset_choices() -> list[tuple[str, str, str]]:
    """(name, label, what it takes to pass) of every preset, for the moderator's form."""
    words = rule_words()
    return [(name, rules.Rule(name).label_in(words), rules.Rule(name).describe(words)) for name in rules.PRESETS]


def rule_text(vote: Vote) -> str:
    """What it takes to pass (or to win), in plain words, shown before the vote opens."""
    if vote.kind == VoteKind.PROPOSAL:
        return vote_rule(vote).describe(rule_words())
    return {
        VoteKind.SINGLE: _("每人选一个方案，得票最多的方案胜出；票数相同则并列，不会私下决出"),
        VoteKind.APPROVAL: _("每人可认可一个或多个方案，获认可最多的方案胜出；票数相同则并列"),
        VoteKind.RANKED: _(
            "每人按喜好给方案排序；用舒尔茨方法逐对比较方案，胜过其他所有方案者胜出；并列如实公布"
        ),
    }[vote.kind]


def rule_label(vote: Vote) -> str:
    """The short name of the vote's rule (a preset's label, or the method between variants)."""
    if vote.kind == VoteKind.PROPOSAL:
        return vote_rule(vote).label_in(rule_words())
    return {VoteKind.SINGLE: _("相对多数"), VoteKind.APPROVAL: _("认可投票"), VoteKind.RANKED: _("舒尔茨法")}[
        vote.kind
    ]


def vote_rule(vote: Vote) -> rules.Rule:
    """The vote's rule as the rules module knows it."""
    return rules.Rule(vote.rule_name, vote.rule_params or {})


def option_labels(vote: Vote) -> dict[str, str]:
    """Each option's key (as written in a ballot) with its label, in order."""
    return {option.key: option.label for option in vote.options}


def describe_choice(vote: Vote, choice: str | None) -> str:
    """A stored choice in words: 同意, a variant's title, "A、B" (approval), "A > B = C" (ranked)."""
    if choice is None:
        return "—"
    if vote.kind == VoteKind.PROPOSAL:
        return choice_labels().get(choice, choice)
    labels = option_labels(vote)
    if vote.kind == VoteKind.SINGLE:
        return labels.get(choice, choice)
    value = json.loads(choice)
    if vote.kind == VoteKind.APPROVAL:
        return "、".join(labels.get(key, key) for key in value) or _("（未认可任何方案）")
    return " > ".join(" = ".join(labels.get(key, key) for key in tier) for tier in value)


def _area(cents: int) -> str:
    return f"{Decimal(int(cents or 0)) / 100:,.2f}"


def scope_text(counted: dict) -> str:
    """Whom a count covers, as a notice says it: 本单元（3号楼2单元）, 本楼（3号楼）, the names of several
    buildings and staircases, or 本居民区 (electorate.scope_of says which)."""
    names, kind = counted.get("scope") or "", counted.get("scope_kind") or ""
    if not names:
        return _("本居民区")
    if kind == "staircase":
        return _("本单元（%(names)s）", names=names)
    if kind == "building":
        return _("本楼（%(names)s）", names=names)
    return names


def electorate_text(vote: Vote, counted: dict | None = None) -> str:
    """How the electorate was counted at the opening, in one sentence for the vote page, its result, the
    minutes and the notices: "本单元（3号楼2单元）业主共 42 户，专有面积合计 3,861.20 ㎡（共有的 3 套房屋，
    每套计一户；…）"; "" before the opening (and for votes opened before the count was kept, whose pages
    show the size alone). ``counted``: another count of the same shape (electorate.counted_now, as the
    posted roll and the roll's notice read it)."""
    counted = counted if counted is not None else (vote.electorate_counted or {})
    if not counted:
        return ""
    n = counted.get("voters", 0)
    area = counted.get("area_cents", 0)
    scope = scope_text(counted)
    notes: list[str] = []
    if vote.basis == VoteBasis.OWNER:
        text = _("%(scope)s业主共 %(n)s 户，专有面积合计 %(area)s ㎡", scope=scope, n=f"{n:,}", area=_area(area))
        if counted.get("coowned_units"):
            notes.append(_("共有的 %(n)d 套房屋，每套计一户", n=counted["coowned_units"]))
        if counted.get("multi_unit_owners"):
            notes.append(_("拥有多套房屋的 %(n)d 位业主，每位计一户、面积合计", n=counted["multi_unit_owners"]))
        if counted.get("developer_units"):
            notes.append(_("建设单位持有的 %(n)d 套房屋合计一户", n=counted["developer_units"]))
    elif vote.basis == VoteBasis.HOUSEHOLD:
        text = _("%(scope)s住户共 %(n)s 户（由年满18周岁的成员代表）", scope=scope, n=f"{n:,}")
    else:
        text = _("%(scope)s年满18周岁的居民共 %(n)s 人", scope=scope, n=f"{n:,}")
    if vote.basis != VoteBasis.OWNER and counted.get("unknown_age"):
        notes.append(_("其中 %(n)d 人未登记出生年份，已计入，请核实", n=counted["unknown_age"]))
    if counted.get("minors_left_out"):
        notes.append(_("未满18周岁的 %(n)d 人不计入", n=counted["minors_left_out"]))
    if counted.get("advisory"):
        notes.append(_("另有 %(n)d 位居民参加参考性表决，不计入", n=counted["advisory"]))
    return text + (_("（%(notes)s）", notes=_("；").join(notes)) if notes else "")


def version_text(vote: Vote) -> str:
    """Which version of the proposal the vote asks about: "第 2 版" (fixed at the opening)."""
    return _("第 %(n)d 版", n=vote.proposal_version) if vote.proposal_version else ""
