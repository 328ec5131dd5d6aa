"""Forms for booking a room and for the moderator's decisions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional


class BookingForm(FlaskForm):
    date = DateField(_l("日期"), validators=[DataRequired(_l("请选择日期"))])
    start = TimeField(_l("开始时间"), validators=[DataRequired(_l("请填写开始时间"))])
    end = TimeField(_l("结束时间"), validators=[DataRequired(_l("请填写结束时间"))],
                    description=_l("早于开始时间表示次日，例如 22:00–01:00"))
    title = StringField(_l("活动名称"), validators=[DataRequired(_l("请填写活动名称")), Length(max=200)])
    attendance = IntegerField(_l("预计人数"), validators=[
        DataRequired(_l("请填写预计人数")), NumberRange(min=1, max=10000, message=_l("请填写人数"))])
    team_id = SelectField(_l("代表团队"), coerce=int, validators=[Optional()], validate_choice=False)


class SeriesForm(FlaskForm):
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


class DecisionForm(FlaskForm):
    note = StringField(_l("说明（可选）"), validators=[Optional(), Length(max=200)])
