"""The minutes as one tree of plain dataclasses: what every format renders and a publication stores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from deliberation.conclusion import AGREED, NOT_AGREED  # noqa: F401 — the words of the conclusion, decided there


@dataclass
class DateLine:
    label: str
    value: datetime | None = None
    until: datetime | None = None


@dataclass
class Participation:
    organiser: str
    convener: str  # who created the session (a moderator: staff, never a voter)
    bodies: list[str]  # the participating bodies, as the moderator wrote them
    scope: str  # who was eligible, in words
    eligible: int  # persons inside the scope
    comments: int
    commenters: int
    voters: int  # persons who cast any ballot, all votes together (largest vote)
    meetings: int


@dataclass
class MeetingAttendance:
    """Who signed in (by the meeting's code or on the sheet), by role; minutes published before sign-in had none."""

    owners: int = 0  # persons present who own a unit of the roster
    residents: int = 0  # other persons present
    departments: list[str] = field(default_factory=list)  # 街道办事处（王科长）, 物业…

    @property
    def total(self) -> int:
        return self.owners + self.residents + len(self.departments)


@dataclass
class Meeting:
    held_at: datetime
    place: str
    attendees: str
    notes: str
    attendance: MeetingAttendance | None = None


@dataclass
class QuestionFigures:
    """Residents' questions of the session and their official answers (宝山社区通: every post gets an answer).

    Questions: published top-level comments of residents, and wishes of the wall turned into its proposals.
    Days to answer are counted on Shanghai's calendar from the question to its first official answer (a
    wish: its written answer or its promotion, whichever came first)."""

    asked: int = 0
    comments: int = 0
    wishes: int = 0
    answered: int = 0
    median_days: str = ""  # "2", "1.5"; "" when none was answered


@dataclass
class EarlierVersion:
    number: int
    title: str
    created_at: datetime
    change_note: str


@dataclass
class ProposalSection:
    title: str
    number: int  # the final version's number
    is_variant: bool
    created_at: datetime
    change_note: str
    body_markdown: str
    body_html: str  # sanitised by consultations.markup when the version was written
    earlier: list[EarlierVersion] = field(default_factory=list)


@dataclass
class Concern:
    body: str
    supports: int
    proposal: str  # the proposal's title, "" for the session as a whole
    created_at: datetime
    answer: str  # the official answer(s), "" when none was given
    answered_at: datetime | None = None


@dataclass
class RoundSummary:
    number: int
    opens_at: datetime
    closes_at: datetime
    comments: int
    commenters: int
    answers: int
    concerns: list[Concern] = field(default_factory=list)


@dataclass
class LabelCount:
    label: str
    count: int
    share: str = ""


@dataclass
class SurveyQuestion:
    text: str
    answers: int
    rows: list[LabelCount] = field(default_factory=list)
    average: str = ""  # scale questions
    texts: int = 0  # free-text answers (counted, never quoted: they may name people)


@dataclass
class SurveySection:
    title: str
    responses: int
    online: int = 0
    paper: int = 0
    eligible: int = 0
    response_rate: str = ""
    questions: list[SurveyQuestion] = field(default_factory=list)


@dataclass
class CheckRow:
    label: str
    required: str
    actual: str
    passed: bool
    explanation: str = ""


@dataclass
class GroupRow:
    value: str
    counts: list[int | str]  # in the order of Breakdown.choices; "—" where a group is too small to show


@dataclass
class Breakdown:
    name: str  # 楼栋 / 年龄段 / 产权
    choices: list[str]
    rows: list[GroupRow] = field(default_factory=list)


@dataclass
class Pairwise:
    """A ranked vote's pairwise table (Schulze): rows[i][j] ballots prefer options[i] to options[j]."""

    options: list[str]
    rows: list[list[int | None]]  # None on the diagonal


@dataclass
class VoteSection:
    title: str
    subject: str  # the proposal(s) voted on
    rule_label: str
    rule_text: str  # the rule in plain words
    basis: str
    secret: bool
    advisory: bool
    opens_at: datetime | None
    closes_at: datetime | None
    electorate: int
    participants: int
    online: int
    paper: int
    tally: list[LabelCount]
    checks: list[CheckRow]
    breakdowns: list[Breakdown]
    agreed: bool | None  # None: a choice between variants, or no decision yet
    outcome: str  # 达成共识 / 未达成共识, or the chosen variant
    summary: str
    final: bool = True  # False while the vote is still open (running figures) or its result preliminary
    preliminary: bool = False  # closed, posted for objections, not yet announced
    electorate_area: str = ""  # m², owner votes
    participant_area: str = ""
    electorate_text: str = ""  # how the electorate was counted: 本单元（3号楼2单元）业主共 N 户…
    ranked: bool = False  # the tally counts first choices (并列第一 apart), so it adds up to the ballots
    pairwise: Pairwise | None = None
    proxy: int = 0  # ballots cast by proxy (书面委托), beside online and paper
    winners: list[str] = field(default_factory=list)  # a choice between variants: the chosen one (several: a tie)


@dataclass
class MinutesContents:
    community: str
    district: str
    title: str
    doc_number: str  # 文号-like reference, e.g. 银杏居民区议纪〔2026〕第3号
    version: int
    draft: bool
    change_note: str
    dates: list[DateLine]
    participation: Participation
    background: str
    meetings: list[Meeting]
    proposals: list[ProposalSection]
    rounds: list[RoundSummary]
    total_comments: int
    total_commenters: int
    surveys: list[SurveySection]
    votes: list[VoteSection]
    outcome: str  # overall, as deliberation.conclusion.conclude says it ("" when nothing was put to a vote)
    closing_notes: str
    host: str
    recorder: str
    generated_at: datetime
    ballot_digest: str
    consultation_id: int = 0
    questions: QuestionFigures | None = None  # None in minutes published before it was counted
    # The audit chain's head when this version was published ("#1234 9f2c4e…"), anchored then (audit.anchor):
    # whoever holds the paper can check the log against it (`flask audit verify --head`).
    audit_head: str = ""

    @property
    def outcome_agreed(self) -> bool:
        return self.outcome == AGREED
