"""Results: aggregates of the ballots, the report (decision, tally, breakdowns), the snapshot stored at the
close, the consultation's votes and results, the open ballot list, and the hall display's figures."""

from __future__ import annotations

import functools
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import chain, repeat

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import Select, and_, bindparam, func, select, union_all
from sqlalchemy.orm import Session, selectinload

from deliberation import charts, disclosure, rules
from deliberation.accounts import demographics
from deliberation.accounts.models import Person, User
from deliberation.consultations.models import Consultation
from deliberation.errors import Forbidden, require
from deliberation.voting.electorate import electorate_size
from deliberation.voting.labels import (
    choice_labels,
    describe_choice,
    explain,
    option_labels,
    preliminary_label,
    result_stage_label,
    rule_label,
    rule_text,
    source_label,
    vote_rule,
)
from deliberation.voting.models import (
    YES_NO,
    Ballot,
    BallotSource,
    Vote,
    VoteBasis,
    VoteElectorateGroup,
    VoteKind,
    VoteState,
    VoteVoter,
)

# Closed votes snapshotted before the breakdowns carried codes: their titles and values, as codes.
_OLD_GROUPS = {"楼栋": "building", "年龄段": "age", "产权": "tenure"}
_OLD_VALUES = {"35岁以下": demographics.UNDER_35, "35–59岁": demographics.MIDDLE, "60岁及以上": demographics.OLDER,
               "业主": "owner", "租户": "tenant", "家属": "family", "未登记": demographics.UNKNOWN}
NOT_VOTED = "未投票"  # the breakdown's column of those who did not vote (a stored key, never translated here)


def _group_words(group: str, value: str) -> str:
    """A group's value in words for the checks (年龄段“60岁以上”群体), in the locale in force."""
    return str(demographics.value_label(group, value))


def _cents_to_area(cents: int | None) -> Decimal:
    return Decimal(int(cents or 0)).scaleb(-2)


@dataclass
class VoteReport:
    """A vote's result as the pages, the API and the minutes show it (counted now, or the stored snapshot)."""

    vote: Vote
    rule_text: str
    decision: rules.Decision | None
    choice_result: dict | None
    tally_rows: list[tuple[str, int]]
    breakdown: dict[str, list[tuple[str, dict[str, int]]]]  # group code → [(value code, counts)]; see demographics
    online: int
    paper: int
    electorate: int
    participants: int
    advisory: VoteReport | None = None
    proxy: int = 0  # ballots cast by proxy (书面委托), counted beside online and paper
    final: bool = False
    title: str = ""
    areas: dict[str, str] = field(default_factory=dict)
    explained: rules.Decision | None = None  # the decision worded for the reader (labels.explain)

    def __post_init__(self) -> None:
        if self.explained is None:
            self.explained = explain(self.decision)

    @property
    def preliminary(self) -> bool:
        """Closed, not yet announced: the preliminary result, posted for objections (voting.announcement)."""
        return self.vote.is_preliminary()


def vote_result(session: Session, viewer: User, vote: Vote) -> VoteReport:
    """The result as the viewer may see it: the stored decision once closed, else counted now."""
    require(vote.can_see_results(viewer), _("表决结束前不公布结果"))
    return report_for(session, vote)


def report_for(session: Session, vote: Vote) -> VoteReport:
    """The vote's result whoever asks: the stored snapshot once closed, else counted now."""
    if vote.closed_at is not None and vote.decision:
        return _from_snapshot(vote, vote.decision)
    return live_report(session, vote)


def consultation_results(session: Session, viewer: User, consultation: Consultation) -> list[VoteReport]:
    """The results of the consultation's votes the viewer may see: closed votes first, then running ones."""
    votes = [v for v in _votes_of(session, consultation) if v.opened_at is not None or v.state != VoteState.DRAFT]
    visible = [v for v in votes if v.can_see_results(viewer)]
    visible.sort(key=lambda v: (v.state != VoteState.CLOSED, v.closed_at or v.created_at, v.id))
    return [report_for(session, v) for v in visible]


@functools.cache
def _votes_statement() -> Select:
    """The statement of _votes_of, built once (every session page runs it)."""
    return (select(Vote).where(Vote.consultation_id == bindparam("consultation_id"))
            .options(selectinload(Vote.options), selectinload(Vote.proposal))
            .order_by(Vote.created_at, Vote.id))


def _votes_of(session: Session, consultation: Consultation) -> list[Vote]:
    return list(session.execute(_votes_statement(), {"consultation_id": consultation.id}).scalars())


def votes_for_consultation(session: Session, viewer: User, consultation: Consultation) -> list[Vote]:
    """The consultation's votes the viewer may see (drafts: moderators only, or once their roll is posted),
    oldest first."""
    votes = _votes_of(session, consultation)
    if consultation.can_moderate(viewer):
        return votes
    return [v for v in votes if v.state != VoteState.DRAFT or v.roll_posted_at is not None]


def ballot_record_digest(session: Session, consultation: Consultation) -> str:
    """SHA-256 over the consultation's ballots (vote id, receipt hash, choice, source), never names."""
    digest = hashlib.sha256()
    rows = session.execute(
        select(Ballot.vote_id, Ballot.receipt_hash, Ballot.choice, Ballot.source)
        .join(Vote, Vote.id == Ballot.vote_id)
        .where(Vote.consultation_id == consultation.id)
        .order_by(Ballot.vote_id, Ballot.receipt_hash)
    ).all()
    for vote_id, receipt, choice, source in rows:
        digest.update(f"{vote_id}\t{receipt}\t{choice}\t{source}\n".encode())
    return digest.hexdigest()


def _aggregates(session: Session, vote: Vote):
    """The electorate's groups (counted at the opening) and one GROUP BY over the vote's ballots.

    Rows with named columns: (advisory, building, age_band, tenure, voters, area_cents) and (advisory,
    building, age_band, tenure, choice, source, ballots, area_cents). Ballots that carry no facts (written by bulk SQL)
    are joined to the electorate in a second branch of the same statement.
    """
    electorate = session.execute(
        select(VoteElectorateGroup.advisory, VoteElectorateGroup.building, VoteElectorateGroup.age_band,
               VoteElectorateGroup.tenure, VoteElectorateGroup.voters, VoteElectorateGroup.area_cents)
        .where(VoteElectorateGroup.vote_id == vote.id)
    ).all()
    if not electorate:  # opened around the services, or an empty electorate: count it here
        electorate = session.execute(
            select(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure,
                   func.count().label("voters"),
                   func.coalesce(func.sum(VoteVoter.area_cents), 0).label("area_cents"))
            .where(VoteVoter.vote_id == vote.id)
            .group_by(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure)
        ).all()
    with_facts = (
        select(Ballot.advisory, Ballot.building, Ballot.age_band, Ballot.tenure, Ballot.choice, Ballot.source,
               func.count().label("ballots"), func.coalesce(func.sum(Ballot.area_cents), 0).label("area_cents"))
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_not(None))
        .group_by(Ballot.advisory, Ballot.building, Ballot.age_band, Ballot.tenure, Ballot.choice, Ballot.source)
    )
    without_facts = (
        select(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure, Ballot.choice,
               Ballot.source, func.count().label("ballots"),
               func.coalesce(func.sum(VoteVoter.area_cents), 0).label("area_cents"))
        .join(VoteVoter, and_(VoteVoter.vote_id == Ballot.vote_id, VoteVoter.voter_key == Ballot.voter_key))
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_(None))
        .group_by(VoteVoter.advisory, VoteVoter.building, VoteVoter.age_band, VoteVoter.tenure, Ballot.choice,
                  Ballot.source)
    )
    ballots = session.execute(union_all(with_facts, without_facts)).all()
    return electorate, ballots


def live_report(session: Session, vote: Vote) -> VoteReport:
    """The result counted now from the aggregates: the binding vote, with the advisory one beside it."""
    electorate_rows, ballot_rows = _aggregates(session, vote)
    binding = _build_report(vote, [r for r in electorate_rows if not r.advisory],
                            [r for r in ballot_rows if not r.advisory], binding=True)
    if vote.advisory_all:
        binding.advisory = _build_report(vote, electorate_rows, ballot_rows, binding=False)
    return binding


def _build_report(vote: Vote, electorate_rows, ballot_rows, *, binding: bool) -> VoteReport:
    group_columns = {"building": "building", "age": "age_band", "tenure": "tenure"}
    electorate = sum(r.voters for r in electorate_rows)
    electorate_cents = sum(int(r.area_cents) for r in electorate_rows)
    per_choice: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    online = paper = proxy = 0
    group_electorate: dict[str, dict[str, int]] = {k: defaultdict(int) for k in group_columns}
    group_choices: dict[str, dict[str, dict[str, int]]] = {
        k: defaultdict(lambda: defaultdict(int)) for k in group_columns}
    for row in electorate_rows:
        for key, column in group_columns.items():
            group_electorate[key][getattr(row, column)] += row.voters
    for row in ballot_rows:
        choice, source, count, cents = row.choice, row.source, row.ballots, int(row.area_cents)
        per_choice[choice][0] += count
        per_choice[choice][1] += cents
        if source == BallotSource.PAPER:
            paper += count
        elif source == BallotSource.PROXY:
            proxy += count
        else:
            online += count
        for key, column in group_columns.items():
            group_choices[key][getattr(row, column)][choice] += count
    participants = online + paper + proxy
    labels = option_labels(vote)
    decision = None
    choice_result = None
    if vote.kind == VoteKind.PROPOSAL:
        words = choice_labels()
        rule = vote_rule(vote) if binding else rules.Rule("simple_majority")
        groups = {
            key: {value: {"electorate": n, **{c: group_choices[key][value].get(c, 0) for c in YES_NO}}
                  for value, n in group_electorate[key].items()}
            for key in group_columns
        }
        tally = rules.Tally.from_counts(
            electorate_count=electorate,
            electorate_area=_cents_to_area(electorate_cents) if binding else 0,
            counts={c: (per_choice[c][0], _cents_to_area(per_choice[c][1]) if binding else 0) for c in YES_NO},
            groups=groups,
        )
        # The checks name each group in words (年龄段“60岁以上”群体), in Chinese as the stored
        # decision's summary is (DESIGN §3); the breakdown and the check names keep the codes.
        with force_locale("zh_Hans"):
            decision = rules.decide(rule, tally, group_words=_group_words)
        tally_rows = [(words[c], per_choice[c][0]) for c in YES_NO]

        def name(choice: str) -> list[str]:
            return [words.get(choice, choice)]
    else:
        expanded = chain.from_iterable(repeat(choice, n) for choice, (n, _c) in per_choice.items())
        keys = list(labels)
        if vote.kind == VoteKind.SINGLE:
            counted = rules.count_single(keys, list(expanded))
        elif vote.kind == VoteKind.APPROVAL:
            counted = rules.count_approval(keys, [json.loads(c) for c in expanded])
        else:
            counted = rules.schulze(keys, [json.loads(c) for c in expanded])
        choice_result = _choice_result(vote, counted, {c: n for c, (n, _cents) in per_choice.items()})
        tally_rows = [(labels[k], choice_result["votes"][labels[k]]) for k in keys]
        if vote.kind == VoteKind.RANKED:
            tally_rows += _shared_first_rows(choice_result)

        def name(choice: str) -> list[str]:
            if vote.kind == VoteKind.SINGLE:
                return [labels.get(choice, choice)]
            value = json.loads(choice)
            if vote.kind == VoteKind.APPROVAL:
                return [labels.get(k, k) for k in value]
            return [_first_choice_label(value, labels)]
    breakdown: dict[str, list[tuple[str, dict[str, int]]]] = {}
    for key in demographics.GROUPS:
        rows = []
        for value in demographics.ordered(key, group_electorate[key]):
            counts = {label: 0 for label, _n in tally_rows}
            for choice, n in group_choices[key].get(value, {}).items():
                for label in name(choice):
                    counts[label] = counts.get(label, 0) + n
            counts[NOT_VOTED] = max(group_electorate[key][value] - sum(group_choices[key].get(value, {}).values()), 0)
            rows.append((value, counts))
        breakdown[key] = rows
    breakdown = kept_secret(vote, breakdown)
    areas = {}
    if binding and vote.basis == VoteBasis.OWNER:
        areas = {"electorate": str(_cents_to_area(electorate_cents)),
                 "participants": str(_cents_to_area(sum(v[1] for v in per_choice.values())))}
    return VoteReport(
        vote=vote, rule_text=rule_text(vote) if binding else _advisory_rule_text(),
        decision=decision, choice_result=choice_result, tally_rows=tally_rows, breakdown=breakdown,
        online=online, paper=paper, proxy=proxy, electorate=electorate, participants=participants,
        final=vote.announced_at is not None, title=vote.title if binding else _("参考性表决（全体居民）"), areas=areas,
    )


def _ballots_in(vote: Vote, counts: dict[str, int]) -> int:
    """How many ballots a breakdown row counts: the sum of its choices, or, where one ballot counts for several
    options (approval, ranked ties), the largest count: never more than there are, so never too little hidden."""
    cast = [n for choice, n in counts.items() if choice != NOT_VOTED]
    if vote.kind in (VoteKind.APPROVAL, VoteKind.RANKED):
        return max(cast, default=0)
    return sum(cast)


def kept_secret(vote: Vote, breakdown: dict[str, list[tuple[str, dict[str, int]]]]) -> dict:
    """A secret vote's breakdown with no group of fewer than disclosure.MIN_GROUP_SIZE voters on its own.

    Small groups are merged into 其他 (disclosure.OTHER), or stand as 少于5人 (disclosure.FEWER, no counts):
    the one rule of deliberation.disclosure. Applied when the result is counted (so the snapshot stored at the
    close holds no small group) and again when a stored snapshot is read (older ones did). An open vote's
    breakdown is shown as it is.
    """
    if not vote.secret:
        return breakdown
    return {
        key: [(g.key, g.counts or {}) for g in disclosure.suppress(
            [disclosure.Group(value, _ballots_in(vote, counts), counts) for value, counts in rows])]
        for key, rows in breakdown.items()
    }


def tied_first_label() -> str:
    """The row of ranked ballots that put several options first together."""
    return _("并列第一")


def unranked_label() -> str:
    """The row of ranked ballots that rank nothing (never from the ballot forms; kept so sums hold)."""
    return _("未排序")


def _first_choice_label(tiers: list, labels: dict[str, str]) -> str:
    """Where one ranked ballot goes among the first choices: its one first option, or 并列第一."""
    if not tiers:
        return unranked_label()
    if len(tiers[0]) > 1:
        return tied_first_label()
    return labels.get(tiers[0][0], tiers[0][0])


def _shared_first_rows(result: dict) -> list[tuple[str, int]]:
    """The rows after the options in a ranked vote's first choices, so that the column adds up to the ballots."""
    rows = [(tied_first_label(), result.get("tied_first", 0))]
    if result.get("unranked"):
        rows.append((unranked_label(), result["unranked"]))
    return rows


def _advisory_rule_text() -> str:
    return _("参考性表决：全体居民一人一票，同意多于反对即为多数意见")


def _choice_result(vote: Vote, counted, first_choices: dict[str, int] | None = None) -> dict:
    labels = option_labels(vote)
    if isinstance(counted, rules.SchulzeResult):
        # First choices count each ballot once: under the option it ranks first alone, or as 并列第一
        # when it ranks several first together, so that they add up to the ballots cast.
        votes = {labels[k]: 0 for k in labels}
        tied = unranked = 0
        for choice, n in (first_choices or {}).items():
            tiers = json.loads(choice)
            if not tiers:
                unranked += n
            elif len(tiers[0]) > 1:
                tied += n
            else:
                votes[labels[tiers[0][0]]] += n
        return {
            "method": "schulze",
            "winners": [labels[k] for k in counted.winners],
            "ranking": [[labels[k] for k in tier] for tier in counted.ranking],
            "pairwise": {labels[a]: {labels[b]: n for b, n in row.items()} for a, row in counted.pairwise.items()},
            "strongest_paths": {labels[a]: {labels[b]: n for b, n in row.items()}
                                for a, row in counted.strongest_paths.items()},
            "ballots": counted.ballots,
            "votes": votes,
            "tied_first": tied,
            "unranked": unranked,
            "tie": counted.is_tie,
        }
    return {
        "method": counted.method,
        "winners": [labels[k] for k in counted.winners],
        "ranking": [[labels[r.option]] for r in counted.results],
        "pairwise": None,
        "ballots": counted.ballots,
        "votes": {labels[r.option]: r.votes for r in counted.results},
        "tie": counted.is_tie,
    }


def _report_dict(report: VoteReport) -> dict:
    return {
        "title": report.title,
        "rule_text": report.rule_text,
        "decision": report.decision.as_dict() if report.decision else None,
        "choice_result": report.choice_result,
        "tally_rows": [list(row) for row in report.tally_rows],
        "breakdown": {k: [[v, counts] for v, counts in rows] for k, rows in report.breakdown.items()},
        "online": report.online,
        "paper": report.paper,
        "proxy": report.proxy,
        "electorate": report.electorate,
        "participants": report.participants,
        "areas": report.areas,
    }


def snapshot(report: VoteReport) -> dict:
    """The report as stored with the vote at the close (with its advisory report)."""
    data = _report_dict(report)
    data["advisory"] = _report_dict(report.advisory) if report.advisory else None
    return data


def _snapshot_breakdown(stored: dict) -> dict[str, list[tuple[str, dict[str, int]]]]:
    """The breakdown of a snapshot keyed by group codes, with value codes (older snapshots stored labels)."""
    breakdown = {}
    for title, rows in stored.items():
        key = _OLD_GROUPS.get(title, title)
        breakdown[key] = [(v if key == "building" and v != "未登记" else _OLD_VALUES.get(v, v), counts)
                          for v, counts in rows]
    return breakdown


def _from_snapshot(vote: Vote, data: dict, binding: bool = True) -> VoteReport:
    decision = None
    if data.get("decision"):
        stored = data["decision"]
        with force_locale("zh_Hans"):  # the record, worded as it was stored (groups named in words)
            decision = rules.decide(rules.Rule.from_dict(stored["rule"]), rules.Tally.from_dict(stored["tally"]),
                                    group_words=_group_words)
    # The rule is the vote's own and never changes once it opened: worded for the reader, not as stored.
    report = VoteReport(
        vote=vote, rule_text=rule_text(vote) if binding else _advisory_rule_text(),
        decision=decision, choice_result=data.get("choice_result"),
        tally_rows=[(label, n) for label, n in data["tally_rows"]],
        breakdown=kept_secret(vote, _snapshot_breakdown(data["breakdown"])),
        online=data["online"], paper=data["paper"], proxy=data.get("proxy", 0), electorate=data["electorate"],
        participants=data["participants"], final=vote.announced_at is not None, title=data.get("title", vote.title),
        areas=data.get("areas") or {},
    )
    if binding and data.get("advisory"):
        report.advisory = _from_snapshot(vote, data["advisory"], binding=False)
    return report


def report_as_dict(report: VoteReport) -> dict:
    """The JSON of GET /api/v1/votes/{id}/result."""
    data = _report_dict(report)
    decision = data.pop("decision")
    data.update({
        "vote_id": report.vote.id,
        "kind": report.vote.kind.value,
        "state": report.vote.state.value,
        "final": report.final,
        "preliminary": report.preliminary,
        "preliminary_label": preliminary_label(report.vote),
        "rule": decision["rule"] if decision else {"name": report.vote.rule_name, "params": {}},
        "rule_label": rule_label(report.vote),
        "tally": decision["tally"] if decision else data["choice_result"],
        "checks": [check.as_dict() for check in report.explained.checks] if report.explained else [],
        "agreed": decision["agreed"] if decision else None,
        "summary": report.explained.summary if report.explained else _choice_summary(report),
        "advisory": report_as_dict(report.advisory) if report.advisory else None,
    })
    return data


def _choice_summary(report: VoteReport) -> str:
    result = report.choice_result or {}
    winners = result.get("winners") or []
    if not winners:
        return _("尚无人投票")
    if len(winners) > 1:
        return _("并列：%(names)s，需再议", names="、".join(winners))
    return _("胜出：%(name)s", name=winners[0])


def open_ballot_list(session: Session, actor: User, vote: Vote) -> list[tuple[str, str, str]]:
    """An open (not secret) vote: who chose what, for the moderator only — (names, choice, source)."""
    require(vote.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    if vote.secret:
        raise Forbidden(_("无记名表决不显示谁投了什么"))
    rows = session.execute(
        select(VoteVoter.person_ids, Ballot.choice, Ballot.source)
        .join(VoteVoter, and_(VoteVoter.vote_id == Ballot.vote_id, VoteVoter.voter_key == Ballot.voter_key))
        .where(Ballot.vote_id == vote.id).order_by(Ballot.cast_at)
    ).all()
    ids = {pid for person_ids, _c, _s in rows for pid in person_ids}
    names = dict(session.execute(select(Person.id, Person.name).where(Person.id.in_(ids))).all()) if ids else {}
    return [("、".join(names.get(p, "?") for p in person_ids), describe_choice(vote, choice), source_label(source))
            for person_ids, choice, source in rows]


def live_counts(session: Session, vote: Vote, show_results: bool) -> dict:
    """The figures of the hall display: cheap enough to compute every second.

    show_results: the tally and the outcome too (the vote's results_public); never of a secret vote before its
    close, whoever asks — the display then shows turnout alone."""
    electorate = electorate_size(session, vote)
    with_facts = (select(Ballot.source, func.count()).where(Ballot.vote_id == vote.id, Ballot.advisory.is_(False))
                  .group_by(Ballot.source))
    without_facts = (
        select(Ballot.source, func.count())
        .join(VoteVoter, and_(VoteVoter.vote_id == Ballot.vote_id, VoteVoter.voter_key == Ballot.voter_key))
        .where(Ballot.vote_id == vote.id, Ballot.advisory.is_(None), VoteVoter.advisory.is_(False))
        .group_by(Ballot.source)
    )
    by_source: dict[str, int] = defaultdict(int)
    for source, n in session.execute(union_all(with_facts, without_facts)).all():
        by_source[source] += n
    participants = sum(by_source.values())
    if vote.closed_at is not None and vote.decision:
        participants = vote.decision["participants"]
        electorate = vote.decision["electorate"]
        by_source = {BallotSource.ONLINE: vote.decision["online"], BallotSource.PAPER: vote.decision["paper"],
                     BallotSource.PROXY: vote.decision.get("proxy", 0)}
    data = {
        "state": vote.state.value,
        "state_label": result_stage_label(vote),
        "preliminary_label": preliminary_label(vote),
        "participants": participants,
        "electorate": electorate,
        "online": by_source.get(BallotSource.ONLINE, 0),
        "paper": by_source.get(BallotSource.PAPER, 0),
        "proxy": by_source.get(BallotSource.PROXY, 0),
        "turnout": charts.percent(participants, electorate),
    }
    if show_results and not (vote.secret and vote.state != VoteState.CLOSED):  # a secret vote: turnout only
        report = report_for(session, vote)
        data["tally"] = [[label, n] for label, n in report.tally_rows]
        agreed, summary = outcome(report)
        if agreed is not None or vote.state == VoteState.CLOSED:  # a winner is said once the vote has closed
            data["agreed"] = agreed
            data["summary"] = report.explained.summary if report.explained is not None else summary
    return data


def outcome(report: VoteReport) -> tuple[bool | None, str]:
    """Whether the proposal passed (None for a choice between variants) and the sentence that says the result."""
    if report.decision is not None:
        return bool(report.decision.agreed), report.decision.summary
    return None, _choice_summary(report)
