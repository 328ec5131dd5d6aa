"""What every capability's pages share about forms."""

from __future__ import annotations

from flask import flash
from flask_wtf import FlaskForm
from wtforms import HiddenField
from wtforms.validators import AnyOf

from deliberation import inputs
from deliberation.errors import DomainError


class SafeForm(FlaskForm):
    """Every page's form: a number too large for the database or a date outside 1900–2100 is a
    message next to its field (deliberation.inputs), never a value handed to a service."""

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
