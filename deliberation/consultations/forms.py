"""Forms of the consultations pages. Times are typed in Shanghai time and stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from flask_wtf.file import MultipleFileField
from wtforms import (
    BooleanField,
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from deliberation import inputs
from deliberation.forms import SafeForm

SHANGHAI = ZoneInfo("Asia/Shanghai")
LOCAL_FORMAT = "%Y-%m-%dT%H:%M"


def to_utc(value: datetime | None) -> datetime | None:
    """A time typed in Shanghai as an aware UTC datetime."""
    return value.replace(tzinfo=SHANGHAI).astimezone(UTC) if value is not None else None


def to_local(value: datetime | None) -> datetime | None:
    """A stored UTC time as typed in Shanghai, for a form's field."""
    if value is None:
        return None
    try:
        return value.astimezone(SHANGHAI).replace(tzinfo=None)
    except OverflowError:  # a time stored before inputs were bounded (9999-12-31): shown as is, so it can be fixed
        return value.replace(tzinfo=None)


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def _when(label):
    return DateTimeLocalField(label, format=LOCAL_FORMAT, validators=[Optional()])


class ConsultationForm(SafeForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=200)])
    background = TextAreaField(
        _l("背景"),
        validators=[Optional(), Length(max=20000)],
        description=_l("为什么要议这件事，已经做了哪些准备"),
    )
    participants = TextAreaField(
        _l("参与方"),
        validators=[Optional(), Length(max=2000)],
        description=_l("例如：居委会、业委会、物业、街道相关科室、居民代表"),
    )
    eligibility = RadioField(
        _l("谁可以参与"),
        default="community",
        choices=[
            SelectChoice("community", _l("全体居民")),
            SelectChoice("buildings", _l("指定楼栋或单元（居住或拥有房屋在其中的人）")),
            SelectChoice("owners", _l("仅业主")),
            SelectChoice("persons", _l("指定人员")),
        ],
    )
    building_ids = MultiCheckboxField(_l("楼栋"), coerce=int, validate_choice=False)
    # "building id:staircase", e.g. "3:2单元" — the lift of one staircase is the classic case.
    staircases = MultiCheckboxField(_l("单元"), validate_choice=False)
    person_ids = StringField(
        _l("指定人员的名册编号"),
        validators=[Optional(), Length(max=2000)],
        description=_l("用逗号分隔，见居民名册"),
    )
    commenting_at = _when(_l("计划开始征求意见（可空）"))
    voting_at = _when(_l("计划开始表决（可空）"))
    closes_at = _when(_l("计划结束（可空）"))
    pre_moderation = BooleanField(_l("先审后发：居民意见经主持人审核后才公开"))

    def staircase_list(self) -> list[tuple[int, str]]:
        pairs = []
        for value in self.staircases.data or []:
            building_id, _sep, staircase = str(value).partition(":")
            if inputs.is_id(building_id) and staircase:
                pairs.append((int(building_id), staircase))
        return pairs

    def person_id_list(self) -> list[int]:
        return [
            int(p) for p in (self.person_ids.data or "").replace("，", ",").split(",") if inputs.is_id(p.strip())
        ]


class PhaseForm(SafeForm):
    phase = SelectField(_l("推进到"), choices=[])


class ProposalForm(SafeForm):
    title = StringField(_l("方案标题"), validators=[DataRequired(_l("请填写方案标题")), Length(max=200)])
    body = TextAreaField(
        _l("方案内容"),
        validators=[DataRequired(_l("请填写方案内容")), Length(max=20000)],
        description=_l("可用 Markdown：空行分段，- 列表，**加粗**，[链接](https://…)，表格"),
    )
    is_variant = BooleanField(_l("这是供居民选择的备选方案之一"))
    pictures = MultipleFileField(_l("效果图（JPEG、PNG 或 WebP，每张不超过 8 MB）"))


class VersionForm(SafeForm):
    title = StringField(_l("方案标题"), validators=[DataRequired(_l("请填写方案标题")), Length(max=200)])
    body = TextAreaField(_l("方案内容"), validators=[DataRequired(_l("请填写方案内容")), Length(max=20000)])
    change_note = TextAreaField(
        _l("修改说明"), validators=[DataRequired(_l("请说明改了什么、为什么改")), Length(max=1000)]
    )
    drop_pictures = MultiCheckboxField(_l("不再使用的图片"), coerce=int, validate_choice=False)
    pictures = MultipleFileField(_l("新增效果图"))


class RoundForm(SafeForm):
    opens_at = _when(_l("开始时间（空为立即开始）"))
    closes_at = DateTimeLocalField(
        _l("截止时间"), format=LOCAL_FORMAT, validators=[DataRequired(_l("请填写截止时间"))]
    )


class CommentForm(SafeForm):
    body = TextAreaField(
        _l("我的意见"),
        validators=[DataRequired(_l("请填写意见内容")), Length(max=5000, message=_l("不能超过 5000 个字"))],
    )
    parent_id = HiddenField()
    proposal_id = SelectField(_l("针对的方案"), choices=[], validate_choice=False)


class ReplyForm(SafeForm):
    body = TextAreaField(
        _l("回复"),
        validators=[DataRequired(_l("请填写回复内容")), Length(max=5000, message=_l("不能超过 5000 个字"))],
    )
    official = BooleanField(_l("作为正式答复"))


class ReasonForm(SafeForm):
    reason = StringField(_l("理由"), validators=[DataRequired(_l("请填写理由")), Length(max=500)])


class BlockedWordForm(SafeForm):
    word = StringField(_l("屏蔽词"), validators=[DataRequired(_l("请填写屏蔽词")), Length(max=50)])


class MeetingForm(SafeForm):
    held_at = DateTimeLocalField(
        _l("会议时间"), format=LOCAL_FORMAT, validators=[DataRequired(_l("请填写会议时间"))]
    )
    place = StringField(_l("地点"), validators=[DataRequired(_l("请填写地点")), Length(max=200)])
    attendees = TextAreaField(
        _l("参会人员"),
        validators=[DataRequired(_l("请填写参会人员")), Length(max=2000)],
        description=_l("相关部门、居民代表、社区能人等"),
    )
    notes = TextAreaField(_l("会议记录"), validators=[Optional(), Length(max=20000)])
    room_id = SelectField(
        _l("预约场地（可选）"),
        choices=[],
        validate_choice=False,
        description=_l("选择后会同时在党群服务站预约该场地；时间冲突时不会保存"),
    )
    ends_at = _when(_l("会议结束时间（预约场地时必填）"))
    attendance = IntegerField(
        _l("预计人数（预约场地时必填）"),
        validators=[Optional(), NumberRange(min=1, max=10000, message=_l("人数须在 1 到 10000 之间"))],
    )

    def room(self) -> int | None:
        return int(self.room_id.data) if str(self.room_id.data or "").isdigit() else None


class IdeaForm(SafeForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=100)])
    body = TextAreaField(_l("具体内容"), validators=[DataRequired(_l("请填写内容")), Length(max=5000)])


class AnswerForm(SafeForm):
    answer = TextAreaField(_l("答复"), validators=[DataRequired(_l("请填写答复")), Length(max=5000)])


class MergeForm(SafeForm):
    target_id = IntegerField(_l("合并到心愿编号"), validators=[DataRequired(_l("请填写心愿编号"))])


class PromoteForm(SafeForm):
    consultation_id = SelectField(_l("转为哪个议事的方案"), coerce=int, choices=[], validate_choice=False)
    is_variant = BooleanField(_l("作为备选方案"))


class AttendanceForm(SafeForm):
    """The sign-in sheet on a page: the roster's persons ticked as present (checkboxes written by the template)."""

    person_ids = SelectMultipleField(_l("到场人员"), coerce=int, choices=[])


class DepartmentForm(SafeForm):
    department = StringField(_l("单位"), validators=[DataRequired(_l("请填写单位")), Length(max=100)],
                             description=_l("如：街道办事处、物业公司、业委会、派出所"))
    name = StringField(_l("姓名或职务（可选）"), validators=[Optional(), Length(max=100)])


class RemoveDepartmentForm(SafeForm):
    attendance_id = IntegerField(validators=[DataRequired()])
