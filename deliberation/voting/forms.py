"""Forms of the voting pages. Times are typed in Shanghai time and stored in UTC."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from deliberation.consultations.forms import LOCAL_FORMAT, MultiCheckboxField
from deliberation.forms import SafeForm

KINDS = [
    SelectChoice("proposal", _l("对一个方案表决：同意 / 不同意 / 弃权")),
    SelectChoice("single", _l("在几个方案中选一个")),
    SelectChoice("approval", _l("认可投票：可以选多个方案")),
    SelectChoice("ranked", _l("排序投票：按喜好排序（舒尔茨法计票）")),
]
BASES = [
    SelectChoice("person", _l("每人一票")),
    SelectChoice("household", _l("每户一票（家中第一位投票的成员代表全户）")),
    SelectChoice("owner", _l("每位业主一票（多套房屋的业主只投一次，面积合计）")),
]
GROUPS = [
    SelectChoice("age", _l("年龄段")),
    SelectChoice("building", _l("楼栋")),
    SelectChoice("tenure", _l("居住身份")),
]


class VoteForm(SafeForm):
    title = StringField(_l("表决标题"), validators=[DataRequired(_l("请填写表决标题")), Length(max=200)])
    kind = RadioField(_l("表决方式"), choices=KINDS, default="proposal")
    proposal_id = SelectField(_l("表决的方案"), coerce=int, validate_choice=False,
                              description=_l("“对一个方案表决”时选择"))
    option_proposal_ids = MultiCheckboxField(_l("参加比较的方案"), coerce=int, validate_choice=False)
    option_labels = TextAreaField(_l("其他选项（每行一个，可空）"), validators=[Optional(), Length(max=2000)],
                                  description=_l("例如：维持现状"))
    rule_name = RadioField(_l("通过规则"), default="simple_majority", validate_choice=False)
    quorum = StringField(_l("法定人数比例（“法定人数+多数”时填写，如 1/2、3/5）"),
                         validators=[Optional(), Length(max=20)])
    group = SelectField(_l("分群体（“各群体均过半数”时选择）"), choices=GROUPS, default="age")
    basis = RadioField(_l("计票单位"), choices=BASES, default="person",
                       description=_l("选择民法典规则时自动按业主计票"))
    secret = BooleanField(_l("无记名：任何人（含主持人）都看不到谁投了什么，结束后断开投票人与选票的联系"))
    advisory_all = BooleanField(_l("同时请全体居民（含租户、家属）参加参考性表决，两种结果并列显示，以业主表决为准"))
    show_running = BooleanField(_l("投票期间向居民公开实时结果"))
    opens_at = DateTimeLocalField(_l("计划开始时间（可空：由主持人手动开启）"), format=LOCAL_FORMAT,
                                  validators=[Optional()])
    closes_at = DateTimeLocalField(_l("计划结束时间（可空：由主持人手动结束）"), format=LOCAL_FORMAT,
                                   validators=[Optional()])
    objection_days = IntegerField(
        _l("结果公示天数"), default=3,
        validators=[Optional(), NumberRange(0, 30, _l("须为 0 到 30 的整数"))],
        description=_l("表决结束后先公示初步结果，期间表决权人可以提出异议，期满并答复全部异议后由主持人公告。"
                       "业主表决至少 1 天；0 天（结束即公告）只用于不约束任何人的居民意见征询。"))
    reminder_days = StringField(
        _l("截止前提醒（天）"), default="1", validators=[Optional(), Length(max=40)],
        description=_l("在截止前几天提醒还没有投票的表决权人，多个用逗号分开，如 3,1；留空则不提醒。已投票的人不会收到提醒。"))


class PaperForm(SafeForm):
    building_id = SelectField(_l("楼栋"), coerce=int, validate_choice=False)
    lines = TextAreaField(
        _l("征询单（每行一张：室号 选项 [姓名]）"),
        validators=[DataRequired(_l("请至少填写一行")), Length(max=20000)],
        description=_l("选项：1 同意、2 不同意、3 弃权；多方案时写方案编号（认可投票如 1,3；排序如 2>1>3）。"
                       "一户有多位表决权人时在后面写姓名。"),
    )


class ResolveForm(SafeForm):
    resolution = RadioField(_l("处理方式"), choices=[
        SelectChoice("keep", _l("保留已计入的选票，作废这张征询单")),
        SelectChoice("paper", _l("以这张征询单为准，替换已计入的选票")),
    ], validators=[DataRequired(_l("请选择处理方式"))])


class SettleForm(SafeForm):
    """Several conflicts at once: the ticked ``conflict_ids`` (read from the request) and what to do."""

    resolution = RadioField(_l("处理方式"), choices=[
        SelectChoice("keep", _l("保留已计入的选票，作废这些征询单")),
        SelectChoice("paper", _l("以这些征询单为准，替换已计入的选票")),
    ], validators=[DataRequired(_l("请选择处理方式"))])


class CaptainForm(SafeForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(max=50)])
    building_id = SelectField(_l("楼栋"), coerce=int, validate_choice=False)


FREE = "free"  # the instruction 由受托人决定: the owner leaves the choice to the proxy


class AuthoriseForm(SafeForm):
    """An owner authorises someone online (委托): the person by building, room and name, and the instruction."""

    proxy_building_id = SelectField(_l("受托人所在楼栋"), coerce=int, validate_choice=False)
    proxy_room = StringField(_l("受托人室号"), validators=[DataRequired(_l("请填写受托人的室号")), Length(max=20)])
    proxy_name = StringField(_l("受托人姓名"), validators=[DataRequired(_l("请填写受托人的姓名")), Length(max=50)])
    instruction = RadioField(_l("委托意见"), validate_choice=False,
                             validators=[DataRequired(_l("请选择委托意见"))],
                             description=_l("受托人只能按您的意见投票；选“由受托人决定”则由受托人代为选择"))


class ProxyForm(AuthoriseForm):
    """A moderator records a signed paper authorisation (委托书), with an optional photo of it."""

    owner_building_id = SelectField(_l("委托人（业主）所在楼栋"), coerce=int, validate_choice=False)
    owner_room = StringField(_l("委托人室号"), validators=[DataRequired(_l("请填写委托人的室号")), Length(max=20)])
    owner_name = StringField(_l("委托人姓名"), validators=[DataRequired(_l("请填写委托人的姓名")), Length(max=50)])
    document = FileField(_l("委托书照片（可选，JPEG、PNG 或 WebP，仅主持人可见）"))


class ResultObjectionForm(SafeForm):
    """An objection to the preliminary result (voting.announcement)."""

    kind = RadioField(_l("异议类型"), choices=[
        SelectChoice("ballot", _l("我的表决票不在名单中")),
        SelectChoice("count", _l("计票有误")),
        SelectChoice("other", _l("其他")),
    ], validators=[DataRequired(_l("请选择异议的类型"))])
    reason = TextAreaField(_l("异议的理由"), validators=[DataRequired(_l("请填写异议的理由")), Length(max=1000)],
                           description=_l("请写明情况，例如：回执码、投票方式、时间"))


class ObjectionAnswerForm(SafeForm):
    """A moderator's answer to a result objection, with a recount where it is accepted."""

    accepted = RadioField(_l("处理结果"), choices=[
        SelectChoice("yes", _l("采纳")),
        SelectChoice("no", _l("不采纳")),
    ], validators=[DataRequired(_l("请选择是否采纳"))])
    answer = TextAreaField(_l("答复（异议人可以看到）"), validators=[Optional(), Length(max=1000)],
                           description=_l("不采纳时必须说明理由"))
    recount = BooleanField(_l("重新计票：按保存的选票重新统计，新旧数字一并记录"))


def choice_from_form(vote, form):
    """The ballot as a form sent it: one value, several (approval) or ranks per option (ranked) — the vote page's
    and the counter's (帮办) forms alike."""
    if vote.kind == "approval":
        return form.getlist("choice")
    if vote.kind == "ranked":
        tiers: dict[int, list[str]] = {}
        for option in vote.options:
            rank = form.get(f"rank-{option.key}", "").strip()
            if rank.isdigit():
                tiers.setdefault(int(rank), []).append(option.key)
        return [tiers[rank] for rank in sorted(tiers)]
    return form.get("choice", "")
