"""The contents of the minutes: one tree of plain dataclasses, assembled with a few aggregate queries.

Every format (HTML, PDF, DOCX, Markdown, CSV, XLSX) is rendered from this one tree, and a published
version stores it as JSON (`to_json` / `from_json`), so a publication renders the same forever.

The sections follow the issue's order: community, title, dates, organiser and participants (bodies
and numbers, never a voter's name), background, joint meetings, proposals in their final version
with the earlier versions named, comment rounds summarised (counts, the most-supported concerns
with their official answers), surveys, votes (rule, checks, breakdown, channels, outcome), closing
notes, signature lines, when it was generated and the digest of the ballot record.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import statistics
import types
import typing
from datetime import datetime

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, distinct, func, literal, select
from sqlalchemy.orm import Session, selectinload

from deliberation.accounts import demographics
from deliberation.accounts.models import User
from deliberation.conclusion import Outcome, conclude
from deliberation.consultations.comments import first_official_answer, resident_question
from deliberation.consultations.eligibility import eligible_person_ids
from deliberation.consultations.meetings import attendance_by_meeting
from deliberation.consultations.models import (
    Comment,
    CommentRound,
    CommentStatus,
    Consultation,
    Idea,
    JointMeeting,
    Proposal,
    ProposalVersion,
)
from deliberation.db import utcnow
from deliberation.formatting import local_days_between
from deliberation.minutes.tree import (
    AGREED,
    NOT_AGREED,
    Breakdown,
    CheckRow,
    Concern,
    DateLine,
    EarlierVersion,
    GroupRow,
    LabelCount,
    Meeting,
    MeetingAttendance,
    MinutesContents,
    Pairwise,
    Participation,
    ProposalSection,
    QuestionFigures,
    RoundSummary,
    SurveyQuestion,
    SurveySection,
    VoteSection,
)
from deliberation.surveys.lists import surveys_for_consultation
from deliberation.surveys.models import SurveyState
from deliberation.surveys.results import survey_summary
from deliberation.voting.electorate import scope_words
from deliberation.voting.labels import basis_label, electorate_text
from deliberation.voting.results import ballot_record_digest, consultation_results

TOP_CONCERNS = 5  # quoted per round; the rest are counted, never loaded


# -- JSON round trip ---------------------------------------------------------------------------


def _default(value):
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def to_json(contents: MinutesContents) -> dict:
    """A JSON-ready dict (datetimes as ISO 8601 with their offset)."""
    return json.loads(json.dumps(dataclasses.asdict(contents), ensure_ascii=False, default=_default))


def canonical_bytes(data: dict) -> bytes:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=_default).encode()


def content_digest(data: dict) -> str:
    """SHA-256 of the canonical JSON of the contents: what a published version is checked against."""
    return hashlib.sha256(canonical_bytes(data)).hexdigest()


def from_json(data: dict) -> MinutesContents:
    return _build(MinutesContents, data)


def _build(cls, data):
    hints = typing.get_type_hints(cls)
    kwargs = {}
    for f in dataclasses.fields(cls):
        if f.name in data:
            kwargs[f.name] = _value(hints[f.name], data[f.name])
    return cls(**kwargs)


def _value(hint, value):
    if value is None:
        return None
    origin = typing.get_origin(hint)
    if origin in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(hint) if a is not type(None)]
        return _value(inner[0], value)
    if origin is list:
        (item,) = typing.get_args(hint)
        return [_value(item, v) for v in value]
    if dataclasses.is_dataclass(hint):
        return _build(hint, value)
    if hint is datetime:
        return datetime.fromisoformat(value)
    return value


# -- assembly ----------------------------------------------------------------------------------


def doc_number(consultation: Consultation) -> str:
    year = consultation.created_at.year if consultation.created_at else utcnow().year
    return _("%(community)s议纪〔%(year)d〕第%(n)d号", community=consultation.community.name, year=year,
             n=consultation.id)


DOCUMENT_LOCALE = "zh_Hans"  # the minutes are the community's record: one language, whoever asks


def assemble(
    session: Session,
    viewer: User | None,
    consultation: Consultation,
    *,
    closing_notes: str = "",
    host: str = "",
    recorder: str = "",
    version: int = 1,
    draft: bool = True,
    change_note: str = "",
) -> MinutesContents:
    """Everything the minutes say, read from the database now (a fixed number of queries)."""
    with force_locale(DOCUMENT_LOCALE):
        return _assemble(session, viewer, consultation, closing_notes=closing_notes, host=host, recorder=recorder,
                         version=version, draft=draft, change_note=change_note)


def _assemble(session, viewer, consultation, *, closing_notes, host, recorder, version, draft, change_note):
    from deliberation.consultations.sessions import eligibility_label

    proposals = _proposals(session, consultation)
    titles = {p.id: p.title for p in proposals}
    rounds, total_comments, total_commenters = _rounds(session, consultation, titles)
    votes, ballot_digest, voters = _votes(session, viewer, consultation)
    surveys = _surveys(session, viewer, consultation)
    meetings = _meetings(session, consultation)
    eligible = session.execute(
        select(func.count()).select_from(eligible_person_ids(consultation).subquery())
    ).scalar_one()
    outcome = conclude([Outcome(v.subject or v.title, v.agreed, tuple(v.winners), ranked=v.ranked, final=v.final,
                                preliminary=v.preliminary, advisory=v.advisory) for v in votes], words=_).text
    community = consultation.community
    convener = consultation.created_by.display_name if consultation.created_by else ""
    return MinutesContents(
        community=community.name,
        district=community.district or "",
        title=consultation.title,
        doc_number=doc_number(consultation),
        version=version,
        draft=draft,
        change_note=change_note,
        dates=_dates(consultation, rounds, votes),
        participation=Participation(
            organiser=community.name,
            convener=convener,
            bodies=[line.strip() for line in (consultation.participants or "").splitlines() if line.strip()],
            scope=eligibility_label(consultation.eligibility)
            + (f"（{named}）" if (named := scope_words(consultation)) else ""),  # buildings and staircases
            eligible=eligible,
            comments=total_comments,
            commenters=total_commenters,
            voters=voters,
            meetings=len(meetings),
        ),
        background=consultation.background or "",
        meetings=meetings,
        proposals=[_proposal_section(p) for p in proposals],
        rounds=rounds,
        total_comments=total_comments,
        total_commenters=total_commenters,
        surveys=surveys,
        votes=votes,
        outcome=outcome,
        closing_notes=closing_notes,
        host=host,
        recorder=recorder,
        generated_at=utcnow(),
        ballot_digest=ballot_digest,
        consultation_id=consultation.id,
        questions=_questions(session, consultation),
    )


def _dates(consultation: Consultation, rounds: list[RoundSummary], votes: list[VoteSection]) -> list[DateLine]:
    lines = [DateLine(_("发起"), consultation.created_at)]
    if rounds:
        lines.append(DateLine(_("意见征集"), rounds[0].opens_at, rounds[-1].closes_at))
    elif consultation.commenting_at:
        lines.append(DateLine(_("征求意见"), consultation.commenting_at))
    opened = [v.opens_at for v in votes if v.opens_at]
    closed = [v.closes_at for v in votes if v.closes_at]
    if opened or closed:
        lines.append(DateLine(_("表决"), min(opened) if opened else None, max(closed) if closed else None))
    elif consultation.voting_at:
        lines.append(DateLine(_("表决"), consultation.voting_at))
    if consultation.closes_at:
        lines.append(DateLine(_("结束"), consultation.closes_at))
    return lines


def _proposals(session: Session, consultation: Consultation) -> list[Proposal]:
    return list(
        session.execute(
            select(Proposal)
            .where(Proposal.consultation_id == consultation.id)
            .options(selectinload(Proposal.versions).selectinload(ProposalVersion.pictures))
            .order_by(Proposal.id)
        ).scalars()
    )


def _proposal_section(proposal: Proposal) -> ProposalSection:
    final = proposal.current_version
    return ProposalSection(
        title=final.title,
        number=final.number,
        is_variant=proposal.is_variant,
        created_at=final.created_at,
        change_note=final.change_note or "",
        body_markdown=final.body_markdown,
        body_html=final.body_html,
        earlier=[
            EarlierVersion(v.number, v.title, v.created_at, v.change_note or "") for v in proposal.versions[:-1]
        ],
    )


def _meetings(session: Session, consultation: Consultation) -> list[Meeting]:
    """The session's meetings with their attendance by role (one query each, however many meetings)."""
    rows = list(session.execute(
        select(JointMeeting)
        .where(JointMeeting.consultation_id == consultation.id)
        .order_by(JointMeeting.held_at, JointMeeting.id)
    ).scalars())
    present = attendance_by_meeting(session, [m.id for m in rows])
    return [Meeting(m.held_at, m.place, m.attendees, m.notes or "",
                    MeetingAttendance(present[m.id].owners, present[m.id].residents, present[m.id].departments))
            for m in rows]


def _questions(session: Session, consultation: Consultation) -> QuestionFigures:
    """The residents' questions of the session and how fast they were answered, from one query.

    Each question is one row (kind, asked at, first official answer at): the residents' top-level comments
    (consultations.comments.resident_question) with their thread's first official answer, and the wishes of
    the wall turned into the session's proposals, answered by their written answer or by the promotion
    itself (the proposal's creation), whichever came first. The median is taken of the answered ones."""
    comments = (
        select(literal("comment").label("kind"), Comment.created_at.label("asked_at"),
               first_official_answer().label("answered_at"))
        .join(Consultation, Consultation.id == Comment.consultation_id)
        .where(Comment.consultation_id == consultation.id, resident_question())
    )
    responded = case((and_(Idea.answered_at.is_not(None), Idea.answered_at < Proposal.created_at), Idea.answered_at),
                     else_=Proposal.created_at)
    wishes = (
        select(literal("wish").label("kind"), Idea.created_at.label("asked_at"), responded.label("answered_at"))
        .join(Proposal, Proposal.id == Idea.proposal_id)
        .where(Proposal.consultation_id == consultation.id)
    )
    rows = session.execute(comments.union_all(wishes)).all()
    days = sorted(local_days_between(_aware(asked), _aware(answered)) for _kind, asked, answered in rows
                  if answered is not None)
    median = statistics.median(days) if days else None
    return QuestionFigures(
        asked=len(rows),
        comments=sum(1 for kind, *_rest in rows if kind == "comment"),
        wishes=sum(1 for kind, *_rest in rows if kind == "wish"),
        answered=len(days),
        median_days="" if median is None else (str(int(median)) if median == int(median) else f"{median:.1f}"),
    )


def _aware(moment) -> datetime:
    """A time of a UNION's row: SQLite may hand back the stored text, PostgreSQL a naive UTC datetime."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment


def _rounds(
    session: Session, consultation: Consultation, titles: dict[int, str]
) -> tuple[list[RoundSummary], int, int]:
    """Counts per round in one GROUP BY; the top concerns of every round in one windowed query."""
    published = Comment.status == CommentStatus.PUBLISHED
    said = and_(published, Comment.is_official_answer.is_(False))
    answered = and_(published, Comment.is_official_answer.is_(True))
    counts = {
        row.round_id: row
        for row in session.execute(
            select(
                Comment.round_id,
                func.count(case((said, Comment.id))).label("comments"),
                func.count(distinct(case((said, Comment.author_id)))).label("commenters"),
                func.count(case((answered, Comment.id))).label("answers"),
            )
            .where(Comment.consultation_id == consultation.id)
            .group_by(Comment.round_id)
        )
    }
    totals = session.execute(
        select(func.count(Comment.id), func.count(distinct(Comment.author_id))).where(
            Comment.consultation_id == consultation.id, said
        )
    ).one()
    rank = (
        func.row_number()
        .over(partition_by=Comment.round_id, order_by=(Comment.support_count.desc(), Comment.id))
        .label("rank")
    )
    ranked = (
        select(Comment.id, rank)
        .where(Comment.consultation_id == consultation.id, said, Comment.parent_id.is_(None))
        .subquery()
    )
    top = list(
        session.execute(
            select(Comment.id, Comment.round_id, Comment.body, Comment.support_count, Comment.proposal_id,
                   Comment.created_at)
            .join(ranked, ranked.c.id == Comment.id)
            .where(ranked.c.rank <= TOP_CONCERNS)
            .order_by(Comment.round_id, Comment.support_count.desc(), Comment.id)
        )
    )
    answers: dict[int, list] = {}
    if top:
        for row in session.execute(
            select(Comment.parent_id, Comment.body, Comment.created_at)
            .where(Comment.parent_id.in_([t.id for t in top]), answered)
            .order_by(Comment.created_at, Comment.id)
        ):
            answers.setdefault(row.parent_id, []).append(row)
    concerns: dict[int, list[Concern]] = {}
    for t in top:
        given = answers.get(t.id, [])
        concerns.setdefault(t.round_id, []).append(
            Concern(
                body=t.body,
                supports=t.support_count,
                proposal=titles.get(t.proposal_id, "") if t.proposal_id else "",
                created_at=t.created_at,
                answer="\n".join(a.body for a in given),
                answered_at=given[-1].created_at if given else None,
            )
        )
    rounds = session.execute(
        select(CommentRound).where(CommentRound.consultation_id == consultation.id).order_by(CommentRound.number)
    ).scalars()
    summaries = []
    for r in rounds:
        c = counts.get(r.id)
        summaries.append(
            RoundSummary(
                number=r.number,
                opens_at=r.opens_at,
                closes_at=r.closes_at,
                comments=c.comments if c else 0,
                commenters=c.commenters if c else 0,
                answers=c.answers if c else 0,
                concerns=concerns.get(r.id, []),
            )
        )
    return summaries, totals[0], totals[1]


# -- votes and surveys (other capabilities, imported when they exist) ------------------------------


class SystemViewer:
    """The command line's viewer: sees what a moderator of every community sees."""

    id = None
    person_id = None
    is_authenticated = True
    is_active = True
    is_anonymous = False
    is_admin = True
    display_name = ""

    def role_in(self, community_id: int):
        from deliberation.accounts.models import Role

        return Role.ADMIN


def _viewer(viewer: User | None):
    return viewer if viewer is not None else SystemViewer()


def _votes(session: Session, viewer: User | None, consultation: Consultation) -> tuple[list[VoteSection], str, int]:
    """(sections, digest of the ballot record, largest number of participants)."""
    sections = []
    for report in consultation_results(session, _viewer(viewer), consultation):
        sections.append(_vote_section(report, basis_label))
        if report.advisory is not None:
            sections.append(_vote_section(report.advisory, basis_label, advisory=True))
    digest = ballot_record_digest(session, consultation)
    voters = max((s.participants for s in sections), default=0)
    return sections, digest, voters


def _text(value) -> str:
    return "" if value is None else str(value)


def _vote_section(report, basis_label, *, advisory: bool = False) -> VoteSection:
    """Copy a voting.results.VoteReport into plain data (nothing of it is queried again)."""
    from deliberation.charts import percent

    vote = report.vote
    decision = report.decision
    checks: list[CheckRow] = []
    agreed = None
    summary = ""
    rule_label = ""
    if decision is not None:
        agreed = bool(decision.agreed)
        summary = decision.summary
        rule_label = decision.rule.label
        checks = [CheckRow(c.label or c.name, c.required_text, c.actual_text, bool(c.passed), c.explanation)
                  for c in decision.checks]
    tally = [LabelCount(_text(label), int(count)) for label, count in report.tally_rows]
    total = sum(r.count for r in tally)
    for r in tally:
        r.share = percent(r.count, total)
    breakdowns = []
    for name, groups in (report.breakdown or {}).items():
        choices: list[str] = []
        for _group, counts in groups:
            choices += [c for c in counts if c not in choices]
        breakdowns.append(Breakdown(
            name=demographics.group_label(name),
            choices=[_choice_label(c) for c in choices],
            # A secret vote's groups too small to show (voting.results.kept_secret) have no counts: dashes.
            rows=[GroupRow(demographics.value_label(name, v),
                           [int(counts.get(c, 0)) for c in choices] if counts else ["—"] * len(choices))
                  for v, counts in groups],
        ))
    outcome = (AGREED if agreed else NOT_AGREED) if agreed is not None else _choice_outcome(report.choice_result)
    if report.preliminary:  # posted for objections: not the binding decision until announced
        outcome = _("初步结果（公示中），尚未公告")
    elif not report.final:
        outcome = _("表决尚未结束（以上为当前统计）")
    areas = report.areas or {}
    return VoteSection(
        title=_text(report.title or vote.title),
        subject=_vote_subject(vote),
        rule_label=rule_label,
        rule_text=_text(report.rule_text),
        basis=_("全体居民一人一票") if advisory else _text(basis_label(vote.basis)),
        secret=bool(vote.secret),
        advisory=advisory,
        opens_at=vote.opened_at or vote.opens_at,
        closes_at=vote.closed_at or vote.closes_at,
        electorate=int(report.electorate),
        participants=int(report.participants),
        online=int(report.online),
        paper=int(report.paper),
        proxy=int(report.proxy),
        tally=tally,
        checks=checks,
        breakdowns=breakdowns,
        agreed=agreed,
        outcome=outcome,
        summary=summary,
        final=bool(report.final),
        preliminary=bool(report.preliminary),
        electorate_area=_text(areas.get("electorate", "")),
        participant_area=_text(areas.get("participants", "")),
        electorate_text="" if advisory else electorate_text(vote),
        ranked=(report.choice_result or {}).get("method") == "schulze",
        pairwise=_pairwise(report.choice_result),
        winners=[_text(w) for w in (report.choice_result or {}).get("winners") or []],
    )


def _pairwise(result: dict | None) -> Pairwise | None:
    """The pairwise table of a ranked vote, options in the order the result lists them."""
    table = (result or {}).get("pairwise")
    if not table:
        return None
    options = list(table)
    return Pairwise(options, [[None if a == b else int(table[a].get(b, 0)) for b in options] for a in options])


CHOICE_LABELS = {"agree": "同意", "disagree": "反对", "abstain": "弃权"}


def _choice_label(choice) -> str:
    return CHOICE_LABELS.get(str(choice), str(choice))


def _vote_subject(vote) -> str:
    if getattr(vote, "proposal", None) is not None:
        return _text(vote.proposal.title)
    options = getattr(vote, "options", None) or []
    return "、".join(_text(getattr(o, "label", "") or getattr(o, "title", "")) for o in options)


def _choice_outcome(result: dict | None) -> str:
    """The outcome of a choice between variants: the winner, or a tie said as a tie."""
    if not result:
        return ""
    winners = result.get("winners") or []
    if result.get("tie") and len(winners) != 1:
        return _("并列：%(w)s", w="、".join(map(str, winners))) if winners else _("未能选出")
    return _("选定：%(w)s", w="、".join(map(str, winners))) if winners else ""


def _surveys(session: Session, viewer: User | None, consultation: Consultation) -> list[SurveySection]:
    viewer = _viewer(viewer)
    sections = []
    for survey in reversed(surveys_for_consultation(session, viewer, consultation)):
        if survey.state == SurveyState.DRAFT or not survey.can_see_results(viewer):
            continue
        summary = survey_summary(session, survey)
        sections.append(SurveySection(
            title=summary.title,
            responses=summary.response_count,
            online=summary.online_count,
            paper=summary.paper_count,
            eligible=summary.eligible_count,
            response_rate=summary.response_rate,
            questions=[
                SurveyQuestion(q.label, q.answered,
                               [LabelCount(r.label, r.count, r.percent) for r in q.rows], q.average, q.text_count)
                for q in summary.questions
            ],
        ))
    return sections
