"""What every capability's pages share about forms."""

from __future__ import annotations

import functools
from collections.abc import Callable

from babel import support
from flask import flash
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Form, HiddenField
from wtforms.i18n import messages_path
from wtforms.validators import AnyOf

from deliberation import inputs
from deliberation.errors import DomainError

# WTForms' own messages (its English source texts, as its validators and fields pass them to gettext)
# → plain words a person understands, from our catalogue: "请填写 2 到 50 个字", not "字段长度必须介于 2 到 50
# 个字符之间". Each still carries WTForms' placeholders, which it fills in after translating.
_PLAIN: dict[str, Callable[[], str]] = {
    "This field is required.": lambda: _("请填写这一项"),
    "Invalid input.": lambda: _("填写的内容不对，请检查后重新填写"),
    "Field must be at least %(min)d character long.": lambda: _("请至少填写 %(min)d 个字"),
    "Field cannot be longer than %(max)d character.": lambda: _("最多 %(max)d 个字，请删减一些"),
    "Field must be exactly %(max)d character long.": lambda: _("请填写 %(max)d 个字"),
    "Field must be between %(min)d and %(max)d characters long.": lambda: _("请填写 %(min)d 到 %(max)d 个字"),
    "Number must be at least %(min)s.": lambda: _("请填写不小于 %(min)s 的数"),
    "Number must be at most %(max)s.": lambda: _("请填写不大于 %(max)s 的数"),
    "Number must be between %(min)s and %(max)s.": lambda: _("请填写 %(min)s 到 %(max)s 之间的数"),
    "Field must be equal to %(other_name)s.": lambda: _("与“%(other_name)s”不一致，请重新输入"),
    "Not a valid choice.": lambda: _("请从列表中选择一项"),
    "Invalid Choice: could not coerce.": lambda: _("请从列表中选择一项"),
    "Choices cannot be None.": lambda: _("请从列表中选择一项"),
    "Invalid choice(s): one or more data inputs could not be coerced.": lambda: _("请从列表中选择"),
    "'%(value)s' is not a valid choice for this field.": lambda: _("“%(value)s”不在可选的范围内，请重新选择"),
    "Invalid value, must be one of: %(values)s.": lambda: _("请从这些里选择：%(values)s"),
    "Invalid value, can't be any of: %(values)s.": lambda: _("不能填写这些：%(values)s"),
    "Not a valid integer value.": lambda: _("请填写整数，例如 12"),
    "Not a valid decimal value.": lambda: _("请填写数字，例如 88.5"),
    "Not a valid float value.": lambda: _("请填写数字，例如 88.5"),
    "Not a valid datetime value.": lambda: _("请填写日期和时间，例如 2026-12-02 09:30"),
    "Not a valid date value.": lambda: _("请填写日期，例如 2026-12-02"),
    "Not a valid time value.": lambda: _("请填写时间，例如 09:30"),
    "Not a valid week value.": lambda: _("请填写日期，例如 2026-12-02"),
    "Invalid email address.": lambda: _("电子邮箱地址不对，请检查，例如 name@example.com"),
}


@functools.cache
def _wtforms_catalogue(locale: str) -> support.Translations:
    """WTForms' own catalogue for a language, read once per process (Flask-WTF reads it again for every
    request that builds a form: a field without a label asks for one)."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class PlainMessages:
    """The translations every page's form uses: WTForms' default messages in plain words from our
    catalogue (in the reader's language); anything else through WTForms' own catalogue."""

    def gettext(self, string: str) -> str:
        words = _PLAIN.get(string)
        return words() if words else _wtforms_catalogue(str(get_locale())).ugettext(string)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        words = _PLAIN.get(singular)
        return words() if words else _wtforms_catalogue(str(get_locale())).ungettext(singular, plural, n)


PLAIN_MESSAGES = PlainMessages()


class PlainForm(Form):
    """A form nested inside a page's form (FormField): WTForms' messages as plainly as SafeForm's."""

    class Meta:
        def get_translations(self, form):
            return PLAIN_MESSAGES


class SafeForm(FlaskForm):
    """Every page's form: a number too large for the database or a date outside 1900–2100 is a
    message next to its field (deliberation.inputs), never a value handed to a service; WTForms'
    default messages read plainly (PlainMessages)."""

    class Meta:
        def get_translations(self, form):
            return PLAIN_MESSAGES

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if field.errors or field.data is None:
                continue
            if found := inputs.problems_in(field.data):
                field.errors = [*field.errors, *dict.fromkeys(found.values())]
                valid = False
        return valid


def show_errors(form, error: DomainError) -> None:
    """Put a service's field messages next to their fields, and its message on top of the page."""
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
    flash(error.message, "error")


def error_summary(form) -> str:
    """A form's own validation messages in one line, for a form that redirects instead of re-rendering."""
    return "；".join(str(m) for messages in form.errors.values() for m in messages)


class ConfirmForm(SafeForm):
    """The second step of an action that cannot be undone: its page (GET) says what will happen; only
    this form's POST (CSRF token and ``confirmed=yes``) does it. A POST without it goes to that page."""

    confirmed = HiddenField(validators=[AnyOf(["yes"])])  # no default: a POST without it is not confirmed

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted():
            self.confirmed.data = "yes"  # what the confirmation page's form sends
