"""Loading surveys and questions for a user: 404 for whatever the user may not see."""

from __future__ import annotations

from flask_babel import gettext as _

from deliberation.accounts.models import User
from deliberation.errors import NotFound, require
from deliberation.extensions import db
from deliberation.surveys.models import Question, Survey


def survey_or_404(survey_id: int, user: User, *, moderate: bool = False) -> Survey:
    """Drafts: moderators only; a session's survey: its eligible residents; other communities: never."""
    survey = db.session.get(Survey, survey_id)
    if survey is None or not user.is_authenticated or not survey.community.can_view(user):
        raise NotFound(_("找不到该问卷"))
    if moderate:
        require(survey.can_moderate(user), _("只有本居民区的主持人可以进行此操作"))
    require(survey.can_view(user), _("找不到该问卷"), hidden=True)
    return survey


def question_or_404(question_id: int, user: User) -> Question:
    """A question for its survey's moderators; 404 or 403 as for its survey."""
    question = db.session.get(Question, question_id)
    if question is None:
        raise NotFound(_("找不到该问题"))
    survey_or_404(question.survey_id, user, moderate=True)
    return question
