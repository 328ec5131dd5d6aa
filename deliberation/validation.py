"""What every service checks of the text people type: trimmed, present where required, within its limit."""

from __future__ import annotations

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
