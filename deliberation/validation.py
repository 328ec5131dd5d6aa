"""What every service checks of what people type: text trimmed, present where required, within its limit;
planned times (closes, phases) not more than a few years ahead."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from flask_babel import gettext as _

from deliberation.errors import Invalid


def clean_text(value: str | None, name: str, label: str, *, max_length: int, required: bool = True) -> str:
    """Trimmed text with Windows line ends folded, or Invalid naming the field (`name`) in Chinese."""
    value = (value or "").replace("\r\n", "\n").strip()
    if required and not value:
        raise Invalid(_("请填写%(label)s", label=label), fields={name: _("必填")})
    if len(value) > max_length:
        raise Invalid(
            _("%(label)s不能超过 %(n)d 个字", label=label, n=max_length),
            fields={name: _("不能超过 %(n)d 个字", n=max_length)},
        )
    return value


MAX_YEARS_AHEAD = 5


def check_planned(when: datetime | None, name: str, label: str, *, now: datetime | None = None) -> None:
    """A planned time (a vote's, a survey's or a comment round's close, a consultation's phase) at most
    MAX_YEARS_AHEAD years from now, or Invalid naming the field (`name`): a year typed wrong (2206 for 2026)
    must not hold a vote or a round open for ever, nor reach a date no page can convert."""
    if when is None:
        return
    now = now or datetime.now(UTC)
    latest = now + timedelta(days=365 * MAX_YEARS_AHEAD + MAX_YEARS_AHEAD // 4 + 1)
    if when > latest:
        message = _("不能晚于 %(n)d 年以后", n=MAX_YEARS_AHEAD)
        raise Invalid(_("%(label)s不能晚于 %(n)d 年以后（%(last)s）", label=label, n=MAX_YEARS_AHEAD,
                        last=latest.date().isoformat()), fields={name: message})
