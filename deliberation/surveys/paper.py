"""Paper forms typed in by a moderator: the unit written on the form (kept only where the form is signed),
the optional name, the answers."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit, User
from deliberation.db import utcnow
from deliberation.errors import Conflict, Invalid, require
from deliberation.surveys.answering import AnswerInput, check_answers, refuse_unless_open, write_answers
from deliberation.surveys.models import Anonymity, Participation, Response, ResponseSource, Survey
from deliberation.surveys.respondents import eligible_ids, kept_time, person_facts, respondent_key


def find_unit(session: Session, survey: Survey, building_id: int | None, room: str) -> Unit:
    """The unit written on a paper form (building and room), or Invalid naming the field."""
    room = (room or "").strip().removesuffix("室")
    fields_: dict[str, str] = {}
    if not building_id:
        fields_["building_id"] = _("请选择楼栋")
    if not room:
        fields_["room"] = _("请填写室号")
    if fields_:
        raise Invalid(_("请填写纸质问卷上的楼栋和室号"), fields=fields_)
    unit = session.execute(
        select(Unit).join(Building, Building.id == Unit.building_id)
        .where(Building.id == building_id, Building.community_id == survey.community_id, Unit.room == room)
    ).scalar()
    if unit is None:
        raise Invalid(_("本居民区没有这个室号"), fields={"room": _("该楼栋没有这个室号")})
    return unit


def enter_paper_response(session: Session, actor: User, survey: Survey, answers: dict[int, AnswerInput], *,
                         building_id: int | None, room: str, person_name: str = "") -> Response:
    """A paper form typed in by a moderator: marked paper, with who entered it and the unit written on it.

    Required questions may be blank (the form is what it is); every other rule holds. With a name that
    matches a person of that unit, the one-response-each rule holds for that person too.
    """
    require(survey.can_moderate(actor), _("只有本居民区的主持人可以进行此操作"))
    refuse_unless_open(survey)
    unit = find_unit(session, survey, building_id, room)
    person = None
    name = (person_name or "").strip()
    if name:
        lives = select(Person.id).join(Household, Household.id == Person.household_id).where(Household.unit_id == unit.id)
        owns = select(Ownership.person_id).where(Ownership.unit_id == unit.id)
        person = session.execute(
            select(Person).where(Person.community_id == survey.community_id, Person.name == name,
                                 Person.id.in_(lives.union(owns)))
        ).scalars().first()
        if person is None:
            raise Invalid(_("该户没有叫这个名字的居民"), fields={"person_name": _("该户名册中没有这个名字")})
        if person.id not in set(session.execute(
            eligible_ids(session, survey).where(Person.id == person.id)
        ).scalars()):
            raise Invalid(_("该居民不在本问卷的填写范围内"), fields={"person_name": _("不在本问卷的填写范围内")})
    rows = check_answers(survey, answers, complete=False)
    # An anonymous form (the survey's rule, or no name where residents choose) keeps its building for the
    # breakdowns, never its room, and its day, never the minute it was typed in.
    hidden = survey.anonymity == Anonymity.ANONYMOUS or (survey.anonymity == Anonymity.CHOICE and person is None)
    now = kept_time(utcnow(), hidden)
    facts = person_facts(session, person.id) if person is not None else None
    response = Response(survey_id=survey.id, source=ResponseSource.PAPER, entered_by_id=actor.id,
                        unit_id=None if hidden else unit.id,
                        building_id=unit.building_id, age_band=facts.age_band if facts else "",
                        tenure=facts.tenure if facts else "", submitted_at=now, updated_at=now)
    try:
        with session.begin_nested():
            if person is not None:
                session.add(Participation(survey_id=survey.id, person_id=person.id, source=ResponseSource.PAPER))
                response.respondent_key = respondent_key(survey, person.id)
                if survey.anonymity != Anonymity.ANONYMOUS:  # a name written on paper signs it
                    response.person_id = person.id
            session.add(response)
            session.flush()
            write_answers(session, response, rows)
            session.flush()
    except IntegrityError as error:
        raise Conflict(_("该居民已经填写过这份问卷（网上或纸质），每人只能一份"),
                       fields={"person_name": _("已经填写过")}) from error
    if hidden:  # the event says a form was typed in, never which response it became nor its room
        audit.record(session, actor, "survey.paper_entry", None, community_id=survey.community_id,
                     survey_id=survey.id)
    else:
        audit.record(session, actor, "survey.paper_entry", response, community_id=survey.community_id,
                     survey_id=survey.id, unit_id=unit.id)
    return response


def paper_count(session: Session, survey: Survey) -> int:
    """How many paper forms have been typed in."""
    return session.execute(
        select(func.count(Response.id)).where(Response.survey_id == survey.id,
                                              Response.source == ResponseSource.PAPER)
    ).scalar() or 0
