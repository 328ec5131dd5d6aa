"""Forms of the survey pages. The answer form is built from the survey's questions, so it is read here
from the posted fields into the services' AnswerInput (kept whole to show again after a refusal)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
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

from deliberation.consultations.forms import LOCAL_FORMAT
from deliberation.forms import SafeForm
from deliberation.surveys.answering import OTHER, AnswerInput
from deliberation.surveys.models import QuestionKind, Survey


class SurveyForm(SafeForm):
    title = StringField(_l("标题"), validators=[DataRequired(_l("请填写标题")), Length(max=200)])
    intro = TextAreaField(_l("说明"), validators=[Optional(), Length(max=5000)],
                          description=_l("为什么做这次问卷、大约要几分钟、结果怎么用"))
    anonymity = RadioField(
        _l("填写方式"),
        choices=[SelectChoice("named", _l("实名：居委会可以看到每份答卷是谁填的")),
                 SelectChoice("anonymous", _l("匿名：答卷不与填写人关联，只统计楼栋、年龄段和身份")),
                 SelectChoice("choice", _l("居民自选：每位居民提交时自己选择署名或匿名"))],
        default="named",
        validators=[DataRequired(_l("请选择填写方式"))],
    )
    consultation_id = SelectField(_l("所属议事"), coerce=int, default=0,
                                  description=_l("属于某次议事时，只有该议事范围内的居民可以填写"))
    opens_at = DateTimeLocalField(_l("开始时间（可不填）"), format=LOCAL_FORMAT, validators=[Optional()])
    closes_at = DateTimeLocalField(_l("截止时间（可不填）"), format=LOCAL_FORMAT, validators=[Optional()])
    reminder_days = StringField(
        _l("截止前提醒（天）"), default="1", validators=[Optional(), Length(max=40)],
        description=_l("在截止前几天提醒还没有填写的居民，多个用逗号分开，如 3,1；留空则不提醒。已填写的人不会收到提醒。"))


class QuestionForm(SafeForm):
    kind = SelectField(_l("题型"), choices=[
        SelectChoice(QuestionKind.SINGLE.value, _l("单选题")),
        SelectChoice(QuestionKind.MULTIPLE.value, _l("多选题")),
        SelectChoice(QuestionKind.SHORT_TEXT.value, _l("简答题（一行）")),
        SelectChoice(QuestionKind.LONG_TEXT.value, _l("问答题（多行）")),
        SelectChoice(QuestionKind.SCALE.value, _l("1–5 分打分题")),
        SelectChoice(QuestionKind.RANKING.value, _l("排序题")),
    ])
    text = StringField(_l("题目"), validators=[DataRequired(_l("请填写题目")), Length(max=500)])
    help_text = StringField(_l("补充说明（可不填）"), validators=[Optional(), Length(max=500)])
    options = TextAreaField(_l("选项（每行一个）"), validators=[Optional(), Length(max=3000)],
                            description=_l("单选、多选和排序题需要；其他题型不用填"))
    max_choices = IntegerField(_l("多选题最多可选几项（可不填）"),
                               validators=[Optional(), NumberRange(min=1, max=20, message=_l("须在 1 到 20 之间"))])
    allow_other = BooleanField(_l("加上“其他（请注明）”"))
    required = BooleanField(_l("必答"))

    def option_list(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]


class PaperForm(SafeForm):
    building_id = SelectField(_l("楼栋"), coerce=int, validate_choice=False)
    room = StringField(_l("室号"), validators=[Optional(), Length(max=20)])
    person_name = StringField(_l("姓名（表上写了才填）"), validators=[Optional(), Length(max=50)])


def _index(value: str) -> int:
    return int(value) if value.isdigit() else -1


def answers_from_form(survey: Survey, data: MultiDict) -> dict[int, AnswerInput]:
    """The posted answer fields (q<id>, q<id>_other, q<id>_r<option>) as the services' input.

    Anything that is not a number becomes -1, which the services refuse as "not an option".
    """
    found: dict[int, AnswerInput] = {}
    for question in survey.questions:
        name = f"q{question.id}"
        given = AnswerInput()
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            values = data.getlist(name)
            given.choices = [_index(v) for v in values if v != OTHER]
            given.other = OTHER in values
            given.other_text = data.get(f"{name}_other", "")
        elif question.kind.is_text:
            given.text = data.get(name, "")
        elif question.kind == QuestionKind.SCALE:
            value = data.get(name, "")
            given.value = _index(value) if value else None
        else:
            ranks: dict[int, int] = {}
            for index in range(len(question.options or [])):
                value = data.get(f"{name}_r{index}", "")
                if value:
                    ranks[index] = _index(value)
            given.ranks = ranks
        if not given.is_empty:
            found[question.id] = given
    return found
