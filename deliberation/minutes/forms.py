"""Forms of the minutes: the draft's closing notes and names; publishing is a bare POST."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import StringField, TextAreaField
from wtforms.validators import Length, Optional

from deliberation.forms import SafeForm


class DraftForm(SafeForm):
    closing_notes = TextAreaField(
        _l("结语（主持人的总结）"),
        validators=[Optional(), Length(max=20000)],
        description=_l("写明达成了什么、下一步怎么做、由谁负责；会印在纪要最后"),
    )
    host = StringField(_l("主持人"), validators=[Optional(), Length(max=200)])
    recorder = StringField(_l("记录人"), validators=[Optional(), Length(max=200)])
    change_note = TextAreaField(
        _l("更正说明"),
        validators=[Optional(), Length(max=2000)],
        description=_l("已公布过纪要时必填：说明这一版改了什么"),
    )
