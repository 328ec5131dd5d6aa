"""Forms for booking a room, the moderator's decisions and the moderator's setup of the station."""

from __future__ import annotations

from datetime import time

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from deliberation.forms import PlainForm, SafeForm


class BookingForm(SafeForm):
    date = DateField(_l("日期"), validators=[DataRequired(_l("请选择日期"))])
    start = TimeField(_l("开始时间"), validators=[DataRequired(_l("请填写开始时间"))])
    end = TimeField(_l("结束时间"), validators=[DataRequired(_l("请填写结束时间"))],
                    description=_l("早于开始时间表示次日，例如 22:00–01:00"))
    title = StringField(_l("活动名称"), validators=[DataRequired(_l("请填写活动名称")), Length(max=200)])
    attendance = IntegerField(_l("预计人数"), validators=[
        DataRequired(_l("请填写预计人数")), NumberRange(min=1, max=10000, message=_l("请填写人数"))])
    team_id = SelectField(_l("代表团队"), coerce=int, validators=[Optional()], validate_choice=False)


class SeriesForm(SafeForm):
    title = StringField(_l("活动名称"), validators=[DataRequired(_l("请填写活动名称")), Length(max=200)])
    attendance = IntegerField(_l("预计人数"), validators=[
        DataRequired(_l("请填写预计人数")), NumberRange(min=1, max=10000, message=_l("请填写人数"))])
    team_id = SelectField(_l("代表团队"), coerce=int, validators=[Optional()], validate_choice=False)
    weekday = SelectField(_l("每周几"), coerce=int, choices=[
        SelectChoice(n, name) for n, name in enumerate(
            (_l("周一"), _l("周二"), _l("周三"), _l("周四"), _l("周五"), _l("周六"), _l("周日")))])
    start = TimeField(_l("开始时间"), validators=[DataRequired(_l("请填写开始时间"))])
    end = TimeField(_l("结束时间"), validators=[DataRequired(_l("请填写结束时间"))],
                    description=_l("早于开始时间表示次日"))
    first_day = DateField(_l("从哪天起"), validators=[DataRequired(_l("请选择开始日期"))])
    until = DateField(_l("到哪天止"), validators=[DataRequired(_l("请选择结束日期"))])
    exceptions = TextAreaField(_l("跳过的日期（可选）"), validators=[Optional(), Length(max=2000)],
                               description=_l("每行一个，例如 2027-02-16"))
    book_free_dates = BooleanField(_l("有冲突的日期时，仍预约其余日期"))


class DecisionForm(SafeForm):
    note = StringField(_l("说明（可选）"), validators=[Optional(), Length(max=200)])


# -- the moderator's setup of the station -------------------------------------------------------

NOISE_CHOICES = [SelectChoice("quiet", _l("安静（阅读、书画）")), SelectChoice("normal", _l("一般")),
                 SelectChoice("noisy", _l("吵闹（舞蹈、乐器）"))]
BOOKER_CHOICES = [SelectChoice("residents", _l("居民均可预约")), SelectChoice("teams", _l("仅限已登记团队")),
                  SelectChoice("moderators", _l("仅限居委会"))]


class RoomForm(SafeForm):
    name = StringField(_l("场地名称"), validators=[DataRequired(_l("请填写场地名称")),
                                                   Length(max=50, message=_l("最多 50 个字"))])
    description = StringField(_l("说明（可选）"), validators=[Optional(), Length(max=200, message=_l("最多 200 个字"))],
                              description=_l("例如：镜墙、音响；与舞蹈房一墙之隔"))
    capacity = IntegerField(_l("可容纳人数"), validators=[
        InputRequired(_l("请填写可容纳人数")), NumberRange(min=1, max=10000, message=_l("请填写 1 到 10000 之间的人数"))])
    noise = SelectField(_l("噪音"), choices=NOISE_CHOICES, default="normal",
                        description=_l("安静的场地与相邻的吵闹场地不能同时使用"))
    booker = SelectField(_l("谁可以预约"), choices=BOOKER_CHOICES, default="residents")
    needs_approval = BooleanField(_l("预约需居委会审批"))


class DayHoursForm(PlainForm):
    """One weekday's opening hours: a window and an optional second one; empty means closed."""

    opens1 = TimeField(_l("开门"), validators=[Optional()])
    closes1 = TimeField(_l("关门"), validators=[Optional()])
    opens2 = TimeField(_l("第二时段开门"), validators=[Optional()])
    closes2 = TimeField(_l("第二时段关门"), validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for opens, closes in ((self.opens1, self.closes1), (self.opens2, self.closes2)):
            if opens.errors or closes.errors:
                continue
            if opens.data and closes.data is None:
                closes.errors = [*closes.errors, _l("请填写关门时间")]
                valid = False
            elif closes.data and opens.data is None:
                opens.errors = [*opens.errors, _l("请填写开门时间")]
                valid = False
        return valid

    def windows(self) -> list[tuple[time, time]]:
        return [(o.data, c.data) for o, c in ((self.opens1, self.closes1), (self.opens2, self.closes2))
                if o.data is not None and c.data is not None]


class HoursForm(SafeForm):
    days = FieldList(FormField(DayHoursForm), min_entries=7, max_entries=7)


class ClosedDateForm(SafeForm):
    day = DateField(_l("日期"), validators=[DataRequired(_l("请选择日期"))])
    reason = StringField(_l("原因（可选）"), validators=[Optional(), Length(max=200, message=_l("最多 200 个字"))],
                         description=_l("例如：春节、消防检查"))


class NeighboursForm(SafeForm):
    neighbours = SelectMultipleField(_l("相邻的场地"), coerce=int, validate_choice=False)


class SettingsForm(SafeForm):
    limit = IntegerField(_l("每位居民最多同时持有的未来预约数"), validators=[
        InputRequired(_l("请填写 1 到 100 之间的数")), NumberRange(min=1, max=100, message=_l("请填写 1 到 100 之间的数"))],
        description=_l("每周系列预约算一个；居委会不受此限"))


class TeamForm(SafeForm):
    name = StringField(_l("团队名称"), validators=[DataRequired(_l("请填写团队名称")),
                                                   Length(max=50, message=_l("最多 50 个字"))])
    members = TextAreaField(_l("成员的用户名（可选）"), validators=[Optional(), Length(max=2000)],
                            description=_l("每行一个；成员可以代表团队预约"))


class MemberForm(SafeForm):
    username = StringField(_l("用户名"), validators=[DataRequired(_l("请填写用户名")), Length(max=50)])
