"""Forms of the counter (帮办): the consent every entry asks for, and a comment's words."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length

from deliberation.accounts.models import Consent
from deliberation.consultations.models import MAX_TEXT
from deliberation.forms import SafeForm

CONSENTS = [SelectChoice(c.value, _l(t)) for c, t in
            ((Consent.IN_PERSON, "本人到场"), (Consent.PHONE, "电话确认"), (Consent.WRITTEN, "书面委托"))]


class ConsentForm(SafeForm):
    """How the resident agreed to the entry (asked before every entry at the counter)."""

    consent = RadioField(_l("居民同意的方式"), choices=CONSENTS,
                         validators=[InputRequired(message=_l("请选择居民同意的方式"))])


class AssistedCommentForm(ConsentForm):
    body = TextAreaField(_l("居民的意见（照其原话录入）"), validators=[DataRequired(), Length(max=MAX_TEXT)])


class RevisedCommentForm(SafeForm):
    body = TextAreaField(_l("我的意见"), validators=[DataRequired(), Length(max=MAX_TEXT)])
