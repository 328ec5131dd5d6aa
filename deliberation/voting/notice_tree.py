"""A notice for the wall (voting.notices) as a small tree of plain dataclasses: what every format prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


@dataclass
class Fact:
    """One line of the notice's facts: 表决事项, 表决范围, 表决规则, the dates…"""

    label: str
    value: str


@dataclass
class Table:
    header: list[str]
    rows: list[list[str]]
    title: str = ""


@dataclass
class Section:
    """A headed block of paragraphs: 投票方式, 异议, 表决结果…"""

    heading: str
    paragraphs: list[str] = field(default_factory=list)


@dataclass
class Notice:
    """What every format prints, top to bottom."""

    stage: str
    title: str
    community: str
    lead: str
    facts: list[Fact]
    tables: list[Table]
    sections: list[Section]
    link: str
    committee: str
    issued_at: datetime
    audit_head: str = ""
    qr_caption: str = ""
