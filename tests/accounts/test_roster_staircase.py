"""The optional 单元 (staircase) column of a roster: parsed, normalised and written to Unit.staircase."""

from __future__ import annotations

from sqlalchemy import select

from deliberation.accounts import services
from deliberation.accounts.models import Building, Unit
from deliberation.accounts.roster import parse_roster

WITH_STAIRCASE = ("楼号,单元,室号,姓名,身份\n"
                  "3号楼,2,201,周玉兰,业主\n"
                  "3号楼,二单元,202,马晓东,租户\n"
                  "3号楼,１单元,101,李桂兰,业主\n"
                  "3号楼,东单元,301,王建国,业主\n"
                  "5号楼,,101,张伟,业主\n")


def test_the_staircase_column_is_read_and_normalised():
    report = parse_roster(WITH_STAIRCASE.encode(), "名册.csv")
    assert report.valid, report.problems
    assert [(r.building, r.room, r.staircase) for r in report.rows] == [
        ("3号楼", "201", "2单元"),
        ("3号楼", "202", "2单元"),
        ("3号楼", "101", "1单元"),
        ("3号楼", "301", "东单元"),
        ("5号楼", "101", ""),
    ]


def test_a_roster_without_the_column_leaves_the_staircase_empty():
    report = parse_roster("楼号,室号,姓名,身份\n3号楼,201,周玉兰,业主\n".encode(), "名册.csv")
    assert report.rows[0].staircase == ""


def test_an_over_long_staircase_is_a_problem_of_its_row():
    report = parse_roster(("楼号,单元,室号,姓名,身份\n3号楼," + "东" * 21 + ",201,周玉兰,业主\n").encode(), "名册.csv")
    assert not report.rows
    assert report.problems[0].column == "单元" and "单元名称过长" in report.problems[0].message


def test_import_writes_the_staircase_and_a_later_roster_fills_it_in(session, community, secretary):
    services.import_roster(session, secretary, community,
                           parse_roster("楼号,室号,姓名,身份\n3号楼,201,周玉兰,业主\n".encode(), "名册.csv"))
    session.commit()
    services.import_roster(session, secretary, community, parse_roster(WITH_STAIRCASE.encode(), "名册.csv"))
    session.commit()
    found = dict(session.execute(
        select(Building.name + "/" + Unit.room, Unit.staircase).join(Building)
        .where(Building.community_id == community.id)).all())
    assert found == {"3号楼/201": "2单元", "3号楼/202": "2单元", "3号楼/101": "1单元", "3号楼/301": "东单元",
                     "5号楼/101": ""}
    # A roster without the column does not wipe what is known.
    services.import_roster(session, secretary, community,
                           parse_roster("楼号,室号,姓名,身份\n3号楼,201,周玉兰,业主\n".encode(), "名册.csv"))
    session.commit()
    assert session.execute(select(Unit.staircase).where(Unit.room == "201")).scalar() == "2单元"
