"""What every capability's pages share about forms."""

from __future__ import annotations

from flask import flash

from deliberation.errors import DomainError


def show_errors(form, error: DomainError) -> None:
    """Put a service's field messages next to their fields, and its message on top of the page."""
    for name, message in error.fields.items():
        if name in form:
            form[name].errors = [*form[name].errors, message]
    flash(error.message, "error")
