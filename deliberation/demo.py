"""The demo neighbourhood: a believable Shanghai 居民区, generated deterministically.

About 7,500 residents in twelve high-rise buildings, two thirds of them renters; among the
registered residents (owners and their families) 40% are over 60. Owners of rented flats live
elsewhere but remain on the roster, since the Civil Code's votes are theirs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from deliberation import audit
from deliberation.accounts import services
from deliberation.accounts.models import (
    Building,
    Community,
    Household,
    Membership,
    Ownership,
    Person,
    Role,
    Tenure,
    Unit,
)
from deliberation.booking.demo import load_demo_rooms
from deliberation.consultations.demo import load_demo_consultation
from deliberation.surveys.demo import load_demo_survey
from deliberation.voting.demo import load_demo_votes

COMMUNITY = "银杏居民区"
OTHER_COMMUNITY = "梧桐居民区"
DEMO_PASSWORD = "yishi-2026"  # noqa: S105 -- the published password of the demo accounts
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许韩冯邓曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任"
    "沈姚卢钟姜崔谭陆范汪廖石金贾夏韦付方邹熊白孟秦邱侯江尹薛闫段雷龙黎史陶贺毛郝顾龚邵万钱严覃武戴莫孔汤"
)
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超霞平刚桂兰玉华红建国文辉志海云凤琴梅兵斌宇浩凯鹏飞欣怡子涵晨阳佳琪思雨俊杰嘉怡婷"


@dataclass(frozen=True)
class DemoLogin:
    role: str
    username: str
    password: str
    name: str


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))


def _phone(rng: random.Random, used: set[str]) -> str:
    while True:
        phone = rng.choice(("13", "15", "17", "18", "19")) + f"{rng.randrange(10**9):09d}"
        if phone not in used:
            used.add(phone)
            return phone


def is_loaded(session: Session) -> bool:
    return bool(session.execute(select(func.count(Community.id))).scalar())


def _populate(session: Session, community: Community, rng: random.Random, buildings: int, floors: int,
              per_floor: int, tenant_share: float) -> dict:
    """Buildings, units, households and persons for one community, in bulk inserts."""
    building_ids = session.execute(insert(Building).returning(Building.id), [
        {"community_id": community.id, "name": f"{n}号楼", "sort_key": f"{n:06d}{n}号楼"}
        for n in range(1, buildings + 1)
    ]).scalars().all()
    unit_rows = [
        {"building_id": b, "room": f"{floor}{door:02d}", "staircase": f"{1 + (door - 1) // 5}单元",
         "area": Decimal(rng.randrange(4800, 12800)) / 100}
        for b in building_ids for floor in range(1, floors + 1) for door in range(1, per_floor + 1)
    ]
    unit_ids = session.execute(insert(Unit).returning(Unit.id), unit_rows).scalars().all()
    household_ids = session.execute(insert(Household).returning(Household.id),
                                    [{"unit_id": u} for u in unit_ids]).scalars().all()
    phones: set[str] = set()
    persons, owned = [], []
    previous_owner = None
    for unit_id, household_id in zip(unit_ids, household_ids, strict=True):
        rented = rng.random() < tenant_share
        if rented:
            # One in ten landlords owns the flat before this one too.
            if previous_owner is not None and rng.random() < 0.1:
                owned.append((previous_owner, unit_id))
            else:
                persons.append({"name": _name(rng), "tenure": Tenure.OWNER, "household_id": None,
                                "birth_year": rng.randrange(1950, 1990), "phone": _phone(rng, phones)})
                previous_owner = len(persons) - 1
                owned.append((previous_owner, unit_id))
            for _i in range(rng.choice((1, 2, 2, 3, 3, 4))):
                persons.append({"name": _name(rng), "tenure": Tenure.TENANT, "household_id": household_id,
                                "birth_year": rng.randrange(1970, 2006),
                                "phone": _phone(rng, phones) if rng.random() < 0.8 else None})
        else:
            elderly = rng.random() < 0.45
            persons.append({"name": _name(rng), "tenure": Tenure.OWNER, "household_id": household_id,
                            "birth_year": rng.randrange(1938, 1966) if elderly else rng.randrange(1966, 1995),
                            "phone": _phone(rng, phones)})
            owned.append((len(persons) - 1, unit_id))
            for _i in range(rng.choice((0, 1, 1, 2, 2, 3))):
                persons.append({"name": _name(rng), "tenure": Tenure.FAMILY, "household_id": household_id,
                                "birth_year": rng.randrange(1935, 1966) if rng.random() < 0.38
                                else rng.randrange(1966, 2020),
                                "phone": _phone(rng, phones) if rng.random() < 0.6 else None})
    for person in persons:
        person["community_id"] = community.id
    person_ids = session.execute(insert(Person).returning(Person.id), persons).scalars().all()
    session.execute(insert(Ownership), [{"person_id": person_ids[i], "unit_id": u} for i, u in owned])
    return {"units": unit_ids, "persons": person_ids, "rows": persons}


def load_demo(session: Session) -> list[DemoLogin]:
    """Create the demo neighbourhoods and their accounts; returns the logins to print."""
    rng = random.Random(20261123)
    admin = services.create_user(session, None, "admin", DEMO_PASSWORD, "系统管理员", is_admin=True)
    community = services.create_community(session, admin, COMMUNITY, district="枫林路街道",
                                          address="上海市徐汇区枫林路 300 弄")
    main = _populate(session, community, rng, buildings=12, floors=25, per_floor=10, tenant_share=0.65)
    other = services.create_community(session, admin, OTHER_COMMUNITY, district="枫林路街道",
                                      address="上海市徐汇区枫林路 500 弄")
    _populate(session, other, rng, buildings=3, floors=6, per_floor=4, tenant_share=0.5)

    secretary = services.create_user(session, admin, "shuji", DEMO_PASSWORD, "王秀英")
    services.grant_role(session, admin, community, secretary, Role.MODERATOR)
    other_moderator = services.create_user(session, admin, "wutong", DEMO_PASSWORD, "陈建国")
    services.grant_role(session, admin, other, other_moderator, Role.MODERATOR)

    def pick(tenure: Tenure, elderly: bool) -> int:
        for index, row in enumerate(main["rows"]):
            if row["tenure"] == tenure and row["household_id"] and (row["birth_year"] < 1966) == elderly:
                return main["persons"][index]
        raise LookupError(tenure)

    logins = [DemoLogin("管理员", "admin", DEMO_PASSWORD, admin.display_name),
              DemoLogin("党总支书记（主持人）", "shuji", DEMO_PASSWORD, secretary.display_name)]
    residents = []
    for username, tenure, elderly, label in (("resident1", Tenure.OWNER, True, "居民（业主，60岁以上）"),
                                             ("resident2", Tenure.TENANT, False, "居民（租户）"),
                                             ("resident3", Tenure.FAMILY, True, "居民（家属，60岁以上）")):
        person = session.get(Person, pick(tenure, elderly))
        user = services.create_user(session, admin, username, DEMO_PASSWORD, person.name, person=person)
        session.add(Membership(user=user, community_id=community.id, role=Role.RESIDENT))
        residents.append(user)
        logins.append(DemoLogin(label, username, DEMO_PASSWORD, person.name))
    session.flush()
    consultation = load_demo_consultation(session, community, secretary, residents)
    load_demo_votes(session, consultation, secretary)
    load_demo_survey(session, community, secretary, consultation)
    load_demo_rooms(session, community, secretary)
    audit.record(session, admin, "demo.load", community, community_id=community.id)
    return logins
