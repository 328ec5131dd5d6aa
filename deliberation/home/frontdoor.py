"""What the home page shows a signed-in person: for a resident what waits for them (votes without their
ballot, surveys to answer, sessions taking comments, their wishes, bookings and unread notices), for a
moderator what needs them in the communities they moderate (the report queue, comments without an official
answer, wishes without a reply, bookings to approve, paper conflicts, objections, votes and surveys closing
soon).

Each part is asked of its capability (voting.awaiting, surveys.lists, consultations.sessions / comments /
ideas / moderation / notifications, booking.bookings), one aggregate query each, so the page costs a fixed
number of statements however much waits. Everything is scoped to the user's own communities: a resident's
items to the community their person lives in, a moderator's to those they moderate (every community for a
site administrator).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from deliberation.accounts.models import Community, Person, User
from deliberation.booking.bookings import bookings_of, pending_counts
from deliberation.booking.models import Booking
from deliberation.consultations import comments, ideas, moderation, notifications
from deliberation.consultations.eligibility import resident_facts
from deliberation.consultations.models import Idea, Notification
from deliberation.consultations.sessions import OpenForComment, open_for_comment
from deliberation.home.deadlines import SOON_DAYS
from deliberation.surveys import lists as survey_lists
from deliberation.surveys.models import Survey
from deliberation.voting import awaiting
from deliberation.voting.awaiting import VoteCount, VoteDue

T = TypeVar("T")
SHOWN = 5  # items per list; a "全部" link leads to the rest
NOTICES_SHOWN = 3


@dataclass
class Shortlist(Generic[T]):
    """The first few items of a list, and whether there are more than shown."""

    items: list[T]
    more: bool = False

    @classmethod
    def of(cls, found: list[T], shown: int = SHOWN) -> Shortlist[T]:
        return cls(list(found[:shown]), len(found) > shown)

    def __bool__(self) -> bool:
        return bool(self.items)

    def __iter__(self):
        return iter(self.items)


@dataclass
class ResidentDoor:
    """What waits for a resident: empty lists when nothing does (or the user is no resident)."""

    community: Community | None = None
    votes: Shortlist[VoteDue] = field(default_factory=lambda: Shortlist([]))
    surveys: Shortlist[Survey] = field(default_factory=lambda: Shortlist([]))
    sessions: Shortlist[OpenForComment] = field(default_factory=lambda: Shortlist([]))
    ideas: Shortlist[Idea] = field(default_factory=lambda: Shortlist([]))
    bookings: Shortlist[Booking] = field(default_factory=lambda: Shortlist([]))
    unread: int = 0
    notices: list[Notification] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.votes or self.surveys or self.sessions or self.ideas or self.bookings or self.unread)


@dataclass
class CommunityDuties:
    """The counts of what waits for the moderators of one community."""

    community: Community
    reports: int = 0
    questions: int = 0
    questions_since: datetime | None = None
    ideas: int = 0
    ideas_since: datetime | None = None
    bookings: int = 0

    @property
    def any(self) -> bool:
        return bool(self.reports or self.questions or self.ideas or self.bookings)


@dataclass
class ModeratorDesk:
    """What needs a moderator across the communities they moderate."""

    communities: list[CommunityDuties] = field(default_factory=list)
    questions: list[comments.WaitingQuestion] = field(default_factory=list)
    ideas: list[Idea] = field(default_factory=list)
    conflicts: list[VoteCount] = field(default_factory=list)
    objections: list[VoteCount] = field(default_factory=list)
    closing_votes: list[VoteDue] = field(default_factory=list)
    closing_surveys: list[Survey] = field(default_factory=list)

    @property
    def moderates(self) -> bool:
        return bool(self.communities)

    @property
    def empty(self) -> bool:
        return not (any(c.any for c in self.communities) or self.conflicts or self.objections
                    or self.closing_votes or self.closing_surveys)


def communities_of(session: Session, user: User) -> list[Community]:
    """The communities the user belongs to (every one for a site administrator), by name: one query."""
    stmt = select(Community).order_by(Community.name, Community.id)
    if not user.is_admin:
        stmt = stmt.where(Community.id.in_(user.community_ids))
    return list(session.execute(stmt).scalars())


def moderated(user: User, communities: list[Community]) -> list[Community]:
    """Of the user's communities, those they moderate."""
    return [c for c in communities if c.can_moderate(user)]


def bring_up_to_date(session: Session, user: User, communities: list[Community], now: datetime) -> None:
    """Votes whose scheduled opening or closing has passed are brought up to it before anything is read."""
    awaiting.catch_up_due(session, [c.id for c in communities], now)


def resident_door(session: Session, user: User, communities: list[Community], now: datetime) -> ResidentDoor:
    """What waits for the user as a resident of the community their person lives in (a member of it); for
    anyone else, their unread notices."""
    person_community = None
    if user.person_id is not None:
        person_community = session.execute(select(Person.community_id).where(Person.id == user.person_id)).scalar()
    community = next((c for c in communities if c.id == person_community and c.id in user.community_ids), None)
    if community is None:  # no resident here (a secretary): only their unread notices, a report among them
        return ResidentDoor(unread=notifications.unread_count(session, user),
                            notices=notifications.latest_unread(session, user, limit=NOTICES_SHOWN))
    ids = [community.id]
    facts = resident_facts(session, user)
    return ResidentDoor(
        community=community,
        votes=Shortlist.of(awaiting.awaiting_ballot(session, user, ids, now)),
        surveys=Shortlist.of(survey_lists.to_answer(session, user, facts, now, limit=SHOWN + 1)),
        sessions=Shortlist.of(open_for_comment(session, user, facts, ids, now, limit=SHOWN + 1)),
        ideas=Shortlist.of(ideas.ideas_by(session, user, ids, limit=SHOWN + 1)),
        bookings=Shortlist.of(list(session.execute(bookings_of(user).limit(SHOWN + 1)).scalars())),
        unread=notifications.unread_count(session, user),
        notices=notifications.latest_unread(session, user, limit=NOTICES_SHOWN),
    )


def moderator_desk(session: Session, user: User, communities: list[Community], now: datetime) -> ModeratorDesk:
    """What needs the user in the communities they moderate; an empty desk for everyone else."""
    mine = moderated(user, communities)
    if not mine:
        return ModeratorDesk()
    ids = [c.id for c in mine]
    reports = moderation.queue_counts(session, ids)
    questions = comments.unanswered_counts(session, ids)
    wishes = ideas.unanswered_counts(session, ids)
    bookings = pending_counts(session, ids)
    duties = []
    for community in mine:
        asked, asked_since = questions.get(community.id, (0, None))
        wished, wished_since = wishes.get(community.id, (0, None))
        duties.append(CommunityDuties(community, reports.get(community.id, 0), asked, asked_since, wished,
                                      wished_since, bookings.get(community.id, 0)))
    soon = now + timedelta(days=SOON_DAYS)
    return ModeratorDesk(
        communities=duties,
        questions=comments.oldest_unanswered(session, ids, limit=SHOWN),
        ideas=ideas.oldest_unanswered(session, ids, limit=SHOWN),
        conflicts=awaiting.open_conflicts(session, ids, limit=SHOWN),
        objections=awaiting.unanswered_objections(session, ids, limit=SHOWN),
        closing_votes=awaiting.closing_soon(session, ids, now, soon, limit=SHOWN),
        closing_surveys=survey_lists.closing_soon(session, ids, now, soon, limit=SHOWN),
    )
