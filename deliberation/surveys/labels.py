"""Words shown for survey states, question kinds, anonymity and response sources (people: accounts.demographics)."""

from __future__ import annotations

from flask_babel import gettext as _

from deliberation.surveys.models import Anonymity, QuestionKind, ResponseSource, SurveyState


def kind_label(kind: QuestionKind | str) -> str:
    """The name of a question kind."""
    return {
        QuestionKind.SINGLE: _("单选题"),
        QuestionKind.MULTIPLE: _("多选题"),
        QuestionKind.SHORT_TEXT: _("简答题"),
        QuestionKind.LONG_TEXT: _("问答题"),
        QuestionKind.SCALE: _("1–5 分打分题"),
        QuestionKind.RANKING: _("排序题"),
    }[QuestionKind(kind)]


def state_label(state: SurveyState) -> str:
    """The name of a survey state."""
    return {
        SurveyState.DRAFT: _("草稿"),
        SurveyState.SCHEDULED: _("未开始"),
        SurveyState.OPEN: _("填写中"),
        SurveyState.CLOSED: _("已截止"),
    }[state]


def anonymity_label(anonymity: Anonymity | str) -> str:
    """How a survey's responses are kept: named, anonymous, or the resident's choice."""
    return {Anonymity.NAMED: _("实名"), Anonymity.ANONYMOUS: _("匿名"), Anonymity.CHOICE: _("居民自选是否匿名")}[
        Anonymity(anonymity)]


def source_label(source: ResponseSource | str) -> str:
    """Paper or online."""
    return _("纸质") if str(source) == ResponseSource.PAPER else _("网上")
