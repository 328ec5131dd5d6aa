"""The overall conclusion of a consultation (结论) from its votes' outcomes: the one place it is decided.

Pure, beside :mod:`deliberation.rules` (which decides each vote): no I/O, no Flask, no SQLAlchemy. The
minutes (every format) print what :func:`conclude` says::

    from deliberation.conclusion import Outcome, conclude

    conclude([Outcome("方案一", agreed=True), Outcome("方案二", agreed=True)]).text      # 达成共识
    conclude([Outcome("方案一", agreed=True),
              Outcome("选方案", winners=("方案二",), ranked=True)]).text              # 方案一获同意；排序表决选定方案二

- **达成共识** only when every binding vote was on a proposal and each was agreed: a choice between
  variants is a choice, not a consensus, and says which variant was chosen (排序表决 for a ranked vote).
- **未达成共识** when every binding vote on a proposal failed and there was no choice.
- Anything else lists each vote's outcome in order (方案一获同意；方案二未获通过；…).
- A tie in a choice is said as a tie (并列), never as a choice.
- A vote still open makes the conclusion wait (表决尚未全部结束): a running tally concludes nothing; so does a
  result only posted for objections (表决结果公示中，尚未公告): only an announced result binds.
- Advisory votes (参考性表决) do not count; with no binding vote there is no conclusion ("").

Wording: Chinese, as in :mod:`deliberation.rules`; pass ``words`` (gettext's shape) to word it otherwise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from deliberation.rules import Words, chinese

AGREED = "达成共识"  # the text of a consensus (the minutes' 结论 styles it as agreed)
NOT_AGREED = "未达成共识"


@dataclass(frozen=True)
class Outcome:
    """One vote as the conclusion reads it."""

    subject: str  # the proposal's title, or what the choice was between
    agreed: bool | None = None  # a vote on a proposal: passed or not; None for a choice between variants
    winners: tuple[str, ...] = ()  # a choice: the variant chosen (several: a tie)
    ranked: bool = False  # the choice was ranked (Schulze): said as 排序表决
    final: bool = True  # False while the vote is open or its result only preliminary
    preliminary: bool = False  # closed, its result posted for objections, not yet announced
    advisory: bool = False  # 参考性表决: counted apart, never part of the conclusion

    @property
    def is_choice(self) -> bool:
        return self.agreed is None


@dataclass(frozen=True)
class Conclusion:
    text: str  # what the minutes print after 结论：, "" when nothing was put to a binding vote
    consensus: bool  # 达成共识: every binding vote was on a proposal and agreed


def _said(outcome: Outcome, _: Words) -> str:
    if not outcome.is_choice:
        return (_("%(subject)s获同意", subject=outcome.subject) if outcome.agreed
                else _("%(subject)s未获通过", subject=outcome.subject))
    how = _("排序表决") if outcome.ranked else _("表决")
    if not outcome.winners:
        return _("%(how)s未能选出（%(subject)s）", how=how, subject=outcome.subject)
    if len(outcome.winners) > 1:
        return _("%(how)s并列：%(winners)s，未能选出", how=how, winners="、".join(outcome.winners))
    return _("%(how)s选定%(winner)s", how=how, winner=outcome.winners[0])


def conclude(outcomes: Iterable[Outcome], words: Words = chinese) -> Conclusion:
    """The consultation's overall conclusion from its votes' outcomes, in the votes' order."""
    _ = words
    binding = [o for o in outcomes if not o.advisory]
    if not binding:
        return Conclusion("", False)
    waiting = [o for o in binding if not o.final]
    if waiting:
        if all(o.preliminary for o in waiting):
            return Conclusion(_("表决结果公示中，尚未公告"), False)
        return Conclusion(_("表决尚未全部结束"), False)
    if all(not o.is_choice and o.agreed for o in binding):
        return Conclusion(_("达成共识"), True)
    if all(not o.is_choice and not o.agreed for o in binding):
        return Conclusion(_("未达成共识"), False)
    return Conclusion("；".join(_said(o, _) for o in binding), False)
