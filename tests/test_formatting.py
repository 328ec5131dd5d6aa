"""The template filters for dates: the fast path agrees with Babel in every language."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from flask_babel import format_datetime as babel_format_datetime

from deliberation.formatting import DIGITS_ONLY, format_datetime


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
@pytest.mark.parametrize("value", [
    datetime(2026, 11, 23, 16, 5, tzinfo=UTC),  # past midnight in Shanghai
    datetime(2026, 11, 23, 16, 5),  # naive: stored as UTC
    datetime(2026, 12, 31, 23, 59, 59, tzinfo=UTC),
    datetime(2027, 1, 4, 1, 2, tzinfo=UTC),  # single digits: padded
])
def test_the_patterns_of_digits_match_babel(app, locale, value):
    with app.test_request_context(), force_locale(locale):
        assert format_datetime(value) == babel_format_datetime(value, "yyyy-MM-dd HH:mm")
        for pattern in DIGITS_ONLY:
            assert format_datetime(value, pattern) == babel_format_datetime(value, pattern), pattern
        assert format_datetime(value, "yyyy年M月d日") == babel_format_datetime(value, "yyyy年M月d日")


def test_nothing_for_no_date(app):
    with app.test_request_context():
        assert format_datetime(None) == ""


def test_a_table_of_words_is_built_once_per_language_and_follows_the_reader(app):
    """formatting.per_language: the words of the reader's language, each language's table built once."""
    from flask_babel import gettext

    from deliberation.formatting import per_language

    builds: list[str] = []

    @per_language
    def phases() -> dict[str, str]:
        builds.append("built")
        return {"closed": gettext("已结束")}

    with app.test_request_context():
        readings = []
        for locale in ("zh_Hans", "en", "zh_Hans", "en"):
            with force_locale(locale):
                readings.append(phases()["closed"])
    assert readings == ["已结束", "Ended", "已结束", "Ended"]
    assert len(builds) == 2


@pytest.mark.parametrize("locale", ["zh_Hans", "en"])
@pytest.mark.parametrize("source", [
    '{{ _("议事") }}',
    '{{ _("%(name)s 已加入“%(team)s”", name="<b>王阿姨</b>", team="楼组") }}',
    '{% set words = "【议事平台】%(day)s 的消息汇总（%(num)d 条）" %}{{ ngettext(words, words, 3, day="12-03") }}',
    '{{ _("100%% 同意") }}',  # not in the catalogue: as written, %% for %
    '{% autoescape false %}{{ _("议事") }}{{ _("100%% 同意") }}{% endautoescape %}',
    '{% trans n=2 %}{{ n }} 位业主{% endtrans %}',
])
def test_a_templates_words_read_as_the_environments_gettext_gives_them(app, locale, source):
    """formatting.template_gettext, which a page's context gives, renders exactly what the environment's gettext
    (Flask-Babel's, which a template without the context uses) renders: the same words, escaped alike."""
    from flask import render_template_string

    with app.test_request_context(), force_locale(locale):
        fast = render_template_string(source)  # the context processors' gettext
        environment = app.jinja_env.from_string(source).render()  # the environment's own
    assert fast == environment
    assert "<b>王阿姨</b>" not in fast  # a variable is escaped
    if locale == "en" and "议事" in source and "%" not in source:
        assert fast == "Consultation"


def test_a_templates_words_follow_a_language_forced_for_one_rendering(app):
    from flask import render_template_string

    with app.test_request_context():
        with force_locale("en"):
            english = render_template_string('{{ _("议事") }}')
        chinese = render_template_string('{{ _("议事") }}')
        context: dict = {}
        app.update_template_context(context)
    assert (english, chinese) == ("Consultation", "议事")
    assert context["gettext"] is not app.jinja_env.globals["gettext"]  # the rendering's own, not the environment's
