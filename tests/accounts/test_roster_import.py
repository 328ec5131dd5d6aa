"""Importing a roster: dry run, idempotence, owners of several units, pages, CLI and API."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from deliberation.accounts import services
from deliberation.accounts.models import Building, Household, Ownership, Person, Unit
from deliberation.accounts.roster import parse_roster
from deliberation.errors import Invalid

GOOD = ("楼号,室号,姓名,身份,产权面积,出生年份,手机号\n"
        "12号楼,301室,李桂兰,业主,89.5㎡,1948,13812341234\n"
        "12幢,301,王建国,家属,,1946,\n"
        "12,302,张伟,租户,,1990,13512345678\n"
        "3号楼,101,李桂兰,业主,60.25,1948,13812341234\n"
        "\n"
        "12号楼,301室,李桂兰,业主,89.5㎡,1948,13812341234\n")
BAD = GOOD + "12号楼,303,赵六,房东,,1980,\n"


def count(session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar()


def test_an_owner_of_several_units_is_one_person_and_a_second_import_changes_nothing(session, community,
                                                                                       secretary):
    report = parse_roster(GOOD.encode(), "名册.csv")
    first = services.import_roster(session, secretary, community, report)
    session.commit()
    assert (first.persons_created, first.units_created, first.ownerships_created) == (3, 3, 2)
    owner = session.execute(select(Person).where(Person.name == "李桂兰")).scalar_one()
    assert {o.unit.room for o in owner.ownerships} == {"301", "101"}
    assert session.execute(select(Unit.area).where(Unit.room == "301")).scalar() == Decimal("89.50")
    before = [count(session, m) for m in (Building, Unit, Household, Person, Ownership)]
    second = services.import_roster(session, secretary, community, parse_roster(GOOD.encode(), "名册.csv"))
    session.commit()
    assert not second.changed
    assert [count(session, m) for m in (Building, Unit, Household, Person, Ownership)] == before


def test_a_roster_with_problems_writes_nothing_unless_only_valid_rows_are_chosen(session, community, secretary):
    report = parse_roster(BAD.encode(), "名册.csv")
    assert any("第8行" in p.message for p in report.problems)
    with pytest.raises(Invalid):
        services.import_roster(session, secretary, community, report)
    session.rollback()
    assert count(session, Person) == 0  # the secretary has no roster entry
    result = services.import_roster(session, secretary, community, report, only_valid=True)
    session.commit()
    assert result.rows_skipped == 1 and result.persons_created == 3


def test_the_import_page_reports_every_bad_row_before_writing(client, login, session, community, secretary):
    login("shuji")
    response = client.post(f"/communities/{community.id}/roster/import",
                           data={"file": (io.BytesIO(BAD.encode("gbk")), "名册.csv")},
                           content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "第8行" in html and "房东" in html
    assert "第7行与第2行完全相同" in html  # the roster report names the rows of a duplicate
    assert count(session, Person) == 0
    upload_id = int(html.split("/roster/import/")[1].split('"')[0])
    confirm = client.post(f"/communities/{community.id}/roster/import/{upload_id}", data={"only_valid": "y"})
    assert confirm.status_code == 302
    assert count(session, Person) == 3


def test_a_binary_file_gets_a_clear_message(client, login, session, community, secretary):
    login("shuji")
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 100
    response = client.post(f"/communities/{community.id}/roster/import",
                           data={"file": (io.BytesIO(png), "roster.csv")}, content_type="multipart/form-data")
    assert response.status_code == 422
    assert "error" in response.get_data(as_text=True)
    assert count(session, Person) == 0


def test_residents_cannot_see_the_roster_and_other_communities_do_not_exist(client, login, make_user,
                                                                           make_community, community):
    other = make_community("梧桐居民区")
    make_user("resident1", community)
    make_user("wutong", other, role="moderator")
    login("resident1")
    assert client.get(f"/communities/{community.id}/roster").status_code == 403
    client.post("/logout")
    login("wutong")
    assert client.get(f"/communities/{community.id}/roster").status_code == 404
    assert client.get(f"/communities/{community.id}").status_code == 404


def test_phone_numbers_are_masked_outside_the_moderators_roster(client, login, make_user, community):
    make_user("resident1", community)
    login("resident1")
    html = client.get("/account").get_data(as_text=True)
    assert "138****8000" in html and "13800138000" not in html


def test_cli_dry_run_reports_rows_and_writes_nothing(app, session, community, secretary, tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text(BAD, encoding="utf-8")
    runner = app.test_cli_runner()
    result = runner.invoke(args=["roster", "import", str(path), "--community", community.name, "--dry-run"])
    assert result.exit_code == 1
    assert "第8行" in result.output and "第7行与第2行完全相同" in result.output
    assert count(session, Person) == 0


def test_cli_imports_a_valid_file(app, session, community, make_user, tmp_path):
    make_user("admin", None, is_admin=True)
    path = tmp_path / "roster.csv"
    path.write_text(GOOD, encoding="utf-8")
    result = app.test_cli_runner().invoke(args=["roster", "import", str(path), "--community", community.name])
    assert result.exit_code == 0, result.output
    assert count(session, Person) == 3


def test_api_dry_run_returns_the_report_only(client, api_token, session, community, secretary):
    headers = api_token("shuji")
    response = client.post(f"/api/v1/communities/{community.id}/roster?dry_run=1", headers=headers,
                           data={"file": (io.BytesIO(BAD.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    body = response.get_json()
    assert response.status_code == 200
    assert body["valid"] is False and body["imported"] is None
    assert body["problems"][0]["line"] == 8
    assert body["duplicates"] == 1 and body["duplicate_rows"] == [{"line": 7, "same_as": 2}]
    assert count(session, Person) == 0
    response = client.post(f"/api/v1/communities/{community.id}/roster", headers=headers,
                           data={"file": (io.BytesIO(GOOD.encode()), "roster.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 200 and response.get_json()["imported"]["persons_created"] == 3


def test_api_refuses_a_file_that_is_not_a_roster(client, api_token, community, secretary):
    response = client.post(f"/api/v1/communities/{community.id}/roster", headers=api_token("shuji"),
                           data={"file": (io.BytesIO(b"\0\1\2binary"), "roster.xlsx")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert set(response.get_json()["error"]) >= {"code", "message", "fields"}


def test_an_oversized_roster_is_refused_with_its_limit():
    from deliberation.accounts.roster import MAX_ROSTER_BYTES, RosterError

    with pytest.raises(RosterError, match="5"):
        parse_roster(b"a," * (MAX_ROSTER_BYTES // 2 + 1), "roster.csv")


@pytest.mark.parametrize(("word", "developer"), [
    pytest.param("建设单位", True, id="jianshe_danwei"),
    pytest.param("开发商", True, id="kaifashang"),
    pytest.param("Developer", True, id="english"),
    pytest.param("业主", False, id="an_ordinary_owner"),
])
def test_the_developer_is_marked_on_the_roster_and_lives_nowhere(session, community, secretary, word, developer):
    """The developer's (建设单位) units still held count together as one owner (SPC interpretation Art. 9):
    the roster marks it, as an owner that lives in none of its units."""
    text = ("楼号,室号,姓名,身份,产权面积\n"
            f"8号楼,101,某某置业有限公司,{word},100\n"
            f"8号楼,102,某某置业有限公司,{word},90.5\n")
    report = parse_roster(text.encode(), "名册.csv")
    assert report.valid and all(row.developer is developer for row in report.rows)
    services.import_roster(session, secretary, community, report)
    session.commit()
    owners = session.execute(select(Person)).scalars().all()
    assert len(owners) == (1 if developer else 2)  # the developer is known by its name alone
    assert all(p.is_developer is developer and p.tenure == "owner" for p in owners)
    assert sorted(o.unit.room for p in owners for o in p.ownerships) == ["101", "102"]
    assert all((p.household_id is None) is developer for p in owners)


def test_confirming_a_roster_with_problems_without_the_tick_re_shows_the_report_saying_what_to_do(
        client, login, session, community, secretary):
    login("shuji")
    response = client.post(f"/communities/{community.id}/roster/import",
                           data={"file": (io.BytesIO(BAD.encode()), "名册.csv")}, content_type="multipart/form-data")
    upload_id = int(response.get_data(as_text=True).split("/roster/import/")[1].split('"')[0])
    refused = client.post(f"/communities/{community.id}/roster/import/{upload_id}", data={})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 422  # the report again, never a bare error page
    assert "错误代码" not in html
    assert "名册有 1 处问题，未导入任何内容" in html and "第8行" in html and "房东" in html
    assert "勾选这一项只导入没有问题的行；或改好文件后重新上传" in html
    assert 'id="only_valid" name="only_valid" type="checkbox"' in html and 'aria-invalid="true"' in html
    assert f"/roster/import/{upload_id}" in html and count(session, Person) == 0
    # The same upload is still there: ticking the box now imports its valid rows.
    confirm = client.post(f"/communities/{community.id}/roster/import/{upload_id}", data={"only_valid": "y"})
    assert confirm.status_code == 302
    assert count(session, Person) == 3
