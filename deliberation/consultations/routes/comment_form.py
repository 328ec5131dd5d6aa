"""The session page's comment form, rendered once and shared: a blank form is the same for every resident of a
session but for their CSRF token, so it is kept rendered under what it shows — the session, the language, the
proposals offered (ids and titles) and whether comments are reviewed first — and the viewer's token is put in after.

A form that failed comes back with its errors and what was typed: rendered for its viewer alone.
"""

from __future__ import annotations

import threading

from flask import render_template
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from wtforms.fields.choices import SelectChoice

from deliberation.consultations.forms import CommentForm
from deliberation.consultations.models import Consultation, Proposal

# A stand-in for the viewer's CSRF token in the kept form (no text a person writes holds a NUL: inputs.py).
CSRF_SLOT = "\x00csrf\x00"
# Blank forms kept by this process, at most this many (a few hundred bytes each): the key names all they show,
# so an entry is never stale, only left behind; the store is emptied when full.
KEPT = 256
_kept: dict[tuple, str] = {}
_lock = threading.Lock()


def _with_choices(form: CommentForm, proposals: list[Proposal]) -> CommentForm:
    form.proposal_id.choices = [SelectChoice("", _("整个议事"))] + [SelectChoice(str(p.id), p.title) for p in proposals]
    return form


def _render(consultation: Consultation, form: CommentForm) -> str:
    return render_template("consultations/_comment_form.html", consultation=consultation, comment_form=form)


def comment_form(consultation: Consultation, proposals: list[Proposal], form: CommentForm | None = None) -> Markup:
    """The comment form of the session's open round for the viewer: kept blank forms with their token, or `form`
    (one that failed) rendered for them."""
    if form is not None:
        return Markup(_render(consultation, _with_choices(form, proposals)))  # noqa: S704 -- our own template
    key = (consultation.id, str(get_locale()), consultation.pre_moderation, tuple((p.id, p.title) for p in proposals))
    blank = _kept.get(key)
    if blank is None:
        form = _with_choices(CommentForm(), proposals)
        blank = _render(consultation, form)
        if "csrf_token" in form:  # not when CSRF protection is turned off (some tests)
            blank = blank.replace(f'value="{form.csrf_token.current_token}"', f'value="{CSRF_SLOT}"')
        with _lock:
            if len(_kept) >= KEPT:
                _kept.clear()
            _kept[key] = blank
    if CSRF_SLOT in blank:
        blank = blank.replace(CSRF_SLOT, generate_csrf())
    return Markup(blank)  # noqa: S704 -- our own template, a token of ours
