"""Reading a hand-typed roster (名册) from CSV or XLSX bytes into clean rows and a report in Chinese."""

from __future__ import annotations

import binascii
import csv
import datetime as dt
import io
import struct
import zipfile
import zlib
from dataclasses import astuple
from decimal import Decimal

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deliberation.accounts import roster
from deliberation.accounts.roster import (
    MAX_ROSTER_BYTES,
    RosterError,
    RosterProblem,
    RosterReport,
    RosterRow,
    parse_roster,
)

pytestmark = pytest.mark.filterwarnings("error")

HEADER = ["楼号", "室号", "姓名", "身份", "面积", "出生年份", "手机号"]
GOOD = ["12号楼", "301", "张三", "业主", "89.5", "1948", "13800138000"]


# ------------------------------------------------------------------------------------------------ helpers


@pytest.fixture
def this_year(monkeypatch) -> int:
    """The year parse_roster takes as this year, read once through the app and held for the test,
    so a test running across New Year's midnight sees the same year as the parser."""
    year = roster.this_year()
    monkeypatch.setattr(roster, "this_year", lambda: year)
    return year


def csv_bytes(rows: list[list[object]], encoding: str = "utf-8", delimiter: str = ",") -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for number, row in enumerate(rows, start=1):
        for column, value in enumerate(row, start=1):
            if value is not None and value != "":
                sheet.cell(row=number, column=column, value=value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def report_for(*rows: list[object], header: list[str] = HEADER, xlsx: bool = False) -> RosterReport:
    table = [header, *rows]
    if xlsx:
        return parse_roster(xlsx_bytes(table), "名册.xlsx")
    return parse_roster(csv_bytes(table), "名册.csv")


FIELDS = ["building", "room", "name", "tenure", "area", "birth_year", "phone"]


def good_row_with(**cells: object) -> list[object]:
    """The GOOD row with some cells replaced, named by field: good_row_with(phone="123")."""
    row: list[object] = list(GOOD)
    for key, value in cells.items():
        row[FIELDS.index(key)] = value
    return row


def one_row(xlsx: bool = False, **cells: object) -> RosterRow:
    """Parse a roster holding one changed GOOD row, check it is valid and return it."""
    report = report_for(good_row_with(**cells), xlsx=xlsx)
    assert report.problems == ()
    (parsed,) = report.rows
    return parsed


def problems_for(**cells: object) -> tuple[RosterProblem, ...]:
    """Parse a roster holding one changed GOOD row, check it is refused and return its problems."""
    report = report_for(good_row_with(**cells))
    assert report.rows == ()
    return report.problems


def values_of(row: RosterRow) -> tuple[object, ...]:
    """Everything but the line number, the optional staircase (tests/accounts/test_roster_staircase.py) and
    the developer mark (tests/accounts/test_roster_import.py)."""
    return astuple(row)[1:-2]


def tiny_png() -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", binascii.crc32(kind + body))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


# ---------------------------------------------------------------------------------------- normalisation


@pytest.mark.parametrize(
    "written",
    ["12号楼", "12幢", "12栋", "12", "１２号", "12号", " 12 号楼 ", "１２号楼", "十二号楼", "12#", "第12幢"],
)
def test_a_building_number_written_any_way_becomes_n_hao_lou(written):
    assert one_row(building=written).building == "12号楼"


@pytest.mark.parametrize(
    ("written", "expected"), [("五号楼", "5号楼"), ("十栋", "10号楼"), ("九十九幢", "99号楼")]
)
def test_a_building_in_chinese_numerals_is_read_as_a_number(written, expected):
    assert one_row(building=written).building == expected


@pytest.mark.parametrize(("written", "expected"), [("A座", "A座"), ("Ａ座", "A座"), ("东区 A 座", "东区A座")])
def test_a_building_that_is_not_a_number_is_kept_as_written(written, expected):
    assert one_row(building=written).building == expected


@pytest.mark.parametrize("written", [12, 12.0])
def test_a_building_typed_as_an_excel_number_becomes_n_hao_lou(written):
    assert one_row(xlsx=True, building=written).building == "12号楼"


@pytest.mark.parametrize("written", ["301", "301室", "３０１", "301 室", "301.0", " 301 ", "301号"])
def test_a_room_written_any_way_becomes_its_number(written):
    assert one_row(room=written).room == "301"


@pytest.mark.parametrize("written", [301, 301.0, "301室"])
def test_a_room_typed_in_excel_becomes_its_number(written):
    assert one_row(xlsx=True, room=written).room == "301"


def test_a_room_that_is_not_a_number_is_kept():
    assert one_row(room="B-301").room == "B-301"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (" 张三 ", "张三"),
        ("张　三", "张 三"),
        ("欧阳  小明", "欧阳 小明"),
        ("Ｊｏｈｎ　Ｓｍｉｔｈ", "John Smith"),
        ("阿依古丽·买买提", "阿依古丽·买买提"),
        ("张三\u200b", "张三"),
    ],
)
def test_a_name_is_stripped_and_its_inner_spaces_collapsed(written, expected):
    assert one_row(name=written).name == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("业主", "owner"),
        ("产权人", "owner"),
        ("owner", "owner"),
        (" Owner ", "owner"),
        ("OWNER", "owner"),
        ("租户", "tenant"),
        ("租客", "tenant"),
        ("承租人", "tenant"),
        ("tenant", "tenant"),
        ("Renter", "tenant"),
        ("家属", "family"),
        ("家庭成员", "family"),
        ("同住人", "family"),
        ("family", "family"),
        ("业　主", "owner"),
    ],
)
def test_every_tenure_synonym_is_understood(written, expected):
    assert one_row(tenure=written).tenure == expected


@pytest.mark.parametrize(
    "written",
    ["89.5", "89.50", "89.5㎡", "89.5平方米", "89.5 m2", "89.5m²", "８９．５", " 89.5 平米", "89.5M2"],
)
def test_an_owners_area_written_any_way_becomes_a_decimal(written):
    assert one_row(area=written).area == Decimal("89.5")


@pytest.mark.parametrize("written", [89.5, "89.5㎡", 89.55000000000001])
def test_an_owners_area_typed_in_excel_becomes_a_decimal(written):
    assert one_row(xlsx=True, area=written).area in (Decimal("89.5"), Decimal("89.55"))


def test_an_area_keeps_two_decimal_places():
    assert str(one_row(area="89.5").area) == "89.50"


def test_an_owner_without_an_area_is_valid():
    assert one_row(area="").area is None


@pytest.mark.parametrize("tenure", ["租户", "家属"])
@pytest.mark.parametrize("area", ["60", "abc", "-1"])
def test_the_area_of_a_non_owner_is_ignored_even_when_it_is_wrong(tenure, area):
    assert one_row(tenure=tenure, area=area).area is None


@pytest.mark.parametrize(
    "written", ["1948", "1948年", "１９４８", "1948-05-02", "1948/5/2", "1948年5月2日", "1948.05", " 1948 "]
)
def test_a_birth_year_written_any_way_becomes_the_year(written):
    assert one_row(birth_year=written).birth_year == 1948


@pytest.mark.parametrize("written", [1948, 1948.0, dt.datetime(1948, 5, 2), dt.date(1948, 5, 2)])
def test_a_birth_year_typed_in_excel_or_as_a_date_becomes_the_year(written):
    assert one_row(xlsx=True, birth_year=written).birth_year == 1948


def test_the_birth_year_may_be_left_empty():
    assert one_row(birth_year="").birth_year is None


@pytest.mark.parametrize(
    "written",
    [
        "13800138000",
        "138 0013 8000",
        "138-0013-8000",
        "+86 138-0013-8000",
        "+8613800138000",
        "008613800138000",
        "１３８００１３８０００",
        "(+86) 138 0013 8000",
    ],
)
def test_a_phone_written_any_way_becomes_eleven_digits(written):
    assert one_row(phone=written).phone == "13800138000"


@pytest.mark.parametrize("written", [13800138000, 13800138000.0, "+86 138-0013-8000"])
def test_a_phone_typed_in_excel_becomes_eleven_digits(written):
    assert one_row(xlsx=True, phone=written).phone == "13800138000"


def test_the_phone_may_be_left_empty():
    assert one_row(phone="").phone is None


def test_a_clean_row_comes_back_whole():
    report = report_for(GOOD)
    assert report.valid
    expected = RosterRow(2, "12号楼", "301", "张三", "owner", Decimal("89.5"), 1948, "13800138000")
    assert report.rows == (expected,)
    assert (report.total_lines, report.duplicates) == (1, 0)


# -------------------------------------------------------------------------------------------- the header


def test_english_headers_are_understood_whatever_their_case_and_spacing():
    header = [" Building ", "ROOM", "Name", "Role", "Area (m²)", "Birth Year", "Mobile"]
    (row,) = report_for(GOOD, header=header).rows
    assert values_of(row) == ("12号楼", "301", "张三", "owner", Decimal("89.5"), 1948, "13800138000")


@pytest.mark.parametrize(
    "header",
    [
        ["楼栋", "房号", "姓名", "类别"],
        ["幢号", "门牌号", "姓　名", "居住类型"],
        ["栋号", "室", "name", "tenure"],
        ["楼", "unit", "姓名*", "身份（必填）"],
        ["building", "room", "name", "role"],
    ],
)
def test_header_synonyms_are_understood(header):
    (row,) = report_for(GOOD[:4], header=header).rows
    assert (row.building, row.room, row.name, row.tenure) == ("12号楼", "301", "张三", "owner")


def test_optional_columns_may_be_absent():
    (row,) = report_for(GOOD[:4], header=HEADER[:4]).rows
    assert (row.area, row.birth_year, row.phone) == (None, None, None)


def test_columns_may_come_in_any_order_next_to_columns_that_are_not_read():
    header = ["序号", "姓名", "身份", "备注", "室号", "楼号"]
    (row,) = report_for(["1", "张三", "业主", "一楼", "301", "12"], header=header).rows
    assert (row.building, row.room, row.name, row.tenure) == ("12号楼", "301", "张三", "owner")


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_a_title_row_above_the_header_is_skipped_and_rows_keep_their_excel_numbers(xlsx):
    table = [["XX居民区名册"], ["制表日期：2024年5月"], HEADER, GOOD, ["12", "302", "李四", "租户"]]
    data = xlsx_bytes(table) if xlsx else csv_bytes(table)
    report = parse_roster(data, "名册.xlsx" if xlsx else "名册.csv")
    assert [row.line for row in report.rows] == [4, 5]


def test_a_header_below_the_tenth_row_is_not_looked_for():
    table = [[f"说明第{number}行"] for number in range(10)] + [HEADER, GOOD]
    with pytest.raises(RosterError, match="未找到表头"):
        parse_roster(csv_bytes(table), "名册.csv")


# ------------------------------------------------------------------------------------------ file formats


def test_a_gbk_csv_from_excel_on_chinese_windows_is_read():
    report = parse_roster(csv_bytes([HEADER, GOOD], encoding="gbk"), "名册.csv")
    assert [row.name for row in report.rows] == ["张三"]


def test_a_utf8_csv_with_a_bom_is_read():
    report = parse_roster(csv_bytes([HEADER, GOOD], encoding="utf-8-sig"), "名册.csv")
    assert [row.name for row in report.rows] == ["张三"]


def test_a_utf16_unicode_text_file_from_excel_is_read():
    report = parse_roster(csv_bytes([HEADER, GOOD], encoding="utf-16", delimiter="\t"), "名册.txt")
    assert [row.name for row in report.rows] == ["张三"]


@pytest.mark.parametrize("delimiter", [",", "\t", ";"], ids=["comma", "tab", "semicolon"])
def test_the_csv_delimiter_is_detected(delimiter):
    report = parse_roster(csv_bytes([HEADER, GOOD], delimiter=delimiter), "名册.csv")
    assert [row.name for row in report.rows] == ["张三"]


def test_a_quoted_cell_spanning_two_lines_is_still_one_excel_row():
    data = '楼号,室号,姓名,身份\n12,301,"张三\n（户主）",业主\n12,302,李四,租户\n'.encode()
    report = parse_roster(data, "名册.csv")
    assert [(row.line, row.name) for row in report.rows] == [(2, "张三 (户主)"), (3, "李四")]


def test_a_csv_named_xlsx_is_read_by_its_content():
    assert len(parse_roster(csv_bytes([HEADER, GOOD]), "名册.xlsx").rows) == 1


def test_an_xlsx_named_csv_is_read_by_its_content():
    assert len(parse_roster(xlsx_bytes([HEADER, GOOD]), "名册.csv").rows) == 1


def test_an_xlsx_gives_cached_values_not_formulas():
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(["12", "=300+1", "张三", "业主"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl saves no cached value, so the formula cell reads as empty rather than as "=300+1".
    (problem,) = parse_roster(buffer.getvalue(), "名册.xlsx").problems
    assert problem.message == "第2行：缺少室号"


def test_only_the_first_worksheet_is_read():
    workbook = openpyxl.Workbook()
    workbook.active.append(HEADER)
    workbook.active.append(GOOD)
    workbook.create_sheet("说明").append(HEADER)
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert len(parse_roster(buffer.getvalue(), "名册.xlsx").rows) == 1


def test_an_xlsx_from_another_program_without_default_styles_is_read_without_warnings():
    # Files written by some programs have a stylesheet without named styles; openpyxl warns about those.
    bare_styles = (
        '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        '<cellXfs count="1"><xf numFmtId="0"/></cellXfs></styleSheet>'
    )
    source = zipfile.ZipFile(io.BytesIO(xlsx_bytes([HEADER, GOOD])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as rewritten:
        for entry in source.infolist():
            content = bare_styles if entry.filename == "xl/styles.xml" else source.read(entry)
            rewritten.writestr(entry, content)
    assert len(parse_roster(buffer.getvalue(), "名册.xlsx").rows) == 1


# ------------------------------------------------------------------------------- blank lines, duplicates


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_blank_lines_are_skipped_and_not_counted(xlsx):
    report = report_for([], GOOD, ["", "", " ", "　"], [], ["12", "302", "李四", "租户"], xlsx=xlsx)
    assert report.valid
    assert [row.line for row in report.rows] == [3, 6]
    assert report.total_lines == 2


def test_repeated_identical_rows_are_dropped_and_counted():
    same_as_good = ["12幢", "301室", " 张三", "业主", "89.50㎡", "1948", "138-0013-8000"]
    report = report_for(GOOD, ["12", "302", "李四", "租户"], GOOD, same_as_good)
    assert report.valid
    assert [row.line for row in report.rows] == [2, 3]
    assert (report.total_lines, report.duplicates) == (4, 2)
    assert [(d.line, d.same_as) for d in report.duplicate_rows] == [(4, 2), (5, 2)]
    assert report.duplicate_rows[0].message == "第4行与第2行完全相同，只导入一次"


def test_the_same_person_owning_several_units_is_valid():
    report = report_for(GOOD, good_row_with(room="302", area="70"))
    assert report.valid
    assert [row.room for row in report.rows] == ["301", "302"]


def test_the_same_person_in_one_unit_with_two_tenures_is_a_conflict_on_both_rows():
    as_tenant = good_row_with(building="12幢", tenure="租户", area="")
    report = report_for(GOOD, ["12", "302", "李四", "租户"], as_tenant)
    assert [row.name for row in report.rows] == ["李四"]
    assert [(problem.line, problem.column) for problem in report.problems] == [(2, None), (4, None)]
    assert report.problems[0].message == (
        "第2行：张三（13800138000）在12号楼301室登记了不同的身份（第2行为业主，第4行为租户），请只保留一行"
    )
    assert report.problems[1].message.startswith("第4行：")


def test_the_same_person_in_one_unit_with_two_birth_years_is_a_conflict():
    report = report_for(GOOD, good_row_with(birth_year="1949"))
    assert report.rows == ()
    assert [problem.message for problem in report.problems] == [
        "第2行：张三（13800138000）在12号楼301室重复登记且信息不一致（见第2、3行），请只保留一行",
        "第3行：张三（13800138000）在12号楼301室重复登记且信息不一致（见第2、3行），请只保留一行",
    ]


def test_two_people_of_the_same_name_in_one_unit_with_different_phones_are_both_kept():
    report = report_for(GOOD, good_row_with(tenure="家属", area="", birth_year="1975", phone="13900139000"))
    assert report.valid
    assert len(report.rows) == 2


# ----------------------------------------------------------------------------------------------- bad rows


@pytest.mark.parametrize(
    ("cells", "column", "message"),
    [
        ({"building": ""}, "楼号", "第2行：缺少楼号"),
        ({"room": " "}, "室号", "第2行：缺少室号"),
        ({"room": "室"}, "室号", "第2行：缺少室号"),
        ({"name": "　"}, "姓名", "第2行：缺少姓名"),
        ({"tenure": ""}, "身份", "第2行：缺少身份"),
        ({"tenure": "房东"}, "身份", "第2行：身份“房东”无法识别（应为 业主、租户、家属 或 建设单位）"),
        ({"area": "八十"}, "面积", "第2行：面积“八十”不是有效的数字"),
        ({"area": "89,5"}, "面积", "第2行：面积“89,5”不是有效的数字"),
        ({"area": "-5"}, "面积", "第2行：面积“-5”不能为负数"),
        ({"area": "89.555"}, "面积", "第2行：面积“89.555”最多保留两位小数"),
        ({"area": "10000.01"}, "面积", "第2行：面积“10000.01”超过10000平方米，请检查"),
        ({"birth_year": "四八年"}, "出生年份", "第2行：出生年份“四八年”不是有效的年份"),
        ({"birth_year": "48"}, "出生年份", "第2行：出生年份“48”不是有效的年份"),
        ({"phone": "1380013"}, "手机号", "第2行：手机号“1380013”不是11位手机号码"),
        ({"phone": "23800138000"}, "手机号", "第2行：手机号“23800138000”不是11位手机号码"),
        ({"phone": "021-6123 4567"}, "手机号", "第2行：手机号“021-6123 4567”不是11位手机号码"),
        (
            {"phone": "13800138000/13900139000"},
            "手机号",
            "第2行：手机号“13800138000/13900139000”不是11位手机号码",
        ),
        ({"name": "张" * 51}, "姓名", "第2行：姓名“" + "张" * 30 + "…”超过50个字符"),
    ],
)
def test_a_bad_cell_is_reported_with_its_row_column_and_value(cells, column, message):
    assert problems_for(**cells) == (RosterProblem(2, column, message),)


@pytest.mark.parametrize("written", ["1899", "{next_year}"])
def test_a_birth_year_before_1900_or_after_this_year_is_reported(written, this_year):
    written = written.format(next_year=this_year + 1)
    message = f"第2行：出生年份“{written}”不在1900年至{this_year}年之间"
    assert problems_for(birth_year=written) == (RosterProblem(2, "出生年份", message),)


def test_a_birth_year_of_this_year_is_accepted(this_year):
    assert one_row(birth_year=str(this_year)).birth_year == this_year


def test_a_name_of_fifty_characters_is_accepted():
    assert one_row(name="张" * 50).name == "张" * 50


def test_every_problem_of_a_row_is_reported_in_column_order():
    problems = problems_for(building="", tenure="房东", phone="123")
    assert [problem.column for problem in problems] == ["楼号", "身份", "手机号"]


def test_problems_name_the_column_as_written_in_the_file():
    header = ["楼号", "室号", "姓名", "身份", "手机号码（选填）"]
    report = report_for(["12", "301", "张三", "业主", "123"], header=header)
    assert report.problems[0].column == "手机号码（选填）"


def test_problems_come_in_row_order_and_good_rows_survive_bad_ones():
    report = report_for(
        GOOD,
        ["12", "302", "李四", "房东"],
        ["12", "303", "", "租户"],
        ["12", "304", "王五", "家属"],
        ["", "", "", "", "", "", "123"],
    )
    assert not report.valid
    assert [row.line for row in report.rows] == [2, 5]
    assert [problem.line for problem in report.problems] == [3, 4, 6, 6, 6, 6, 6]
    assert report.total_lines == 5


def test_the_row_number_counts_the_title_and_blank_lines_as_excel_does():
    table = [["XX居民区名册"], [], HEADER, [], ["12", "301", "张三", "房东"]]
    (problem,) = parse_roster(csv_bytes(table), "名册.csv").problems
    assert problem.message.startswith("第5行：")


# ------------------------------------------------------------------------------------ unusable files


def test_a_file_over_the_limit_is_refused():
    data = csv_bytes([HEADER, GOOD]) + b" " * MAX_ROSTER_BYTES
    with pytest.raises(RosterError, match="文件过大"):
        parse_roster(data, "名册.csv")


@pytest.mark.parametrize("data", [b"", b"  \r\n\r\n"], ids=["empty", "only-blank-lines"])
def test_an_empty_file_is_refused(data):
    with pytest.raises(RosterError, match="文件是空的"):
        parse_roster(data, "名册.csv")


def test_binary_junk_is_refused():
    with pytest.raises(RosterError, match="无法识别文件内容"):
        parse_roster(bytes(range(256)) * 4, "名册.csv")


def test_a_png_renamed_csv_is_refused():
    with pytest.raises(RosterError, match="无法识别文件内容"):
        parse_roster(tiny_png(), "名册.csv")


def test_a_png_renamed_xlsx_says_it_is_not_an_excel_file():
    with pytest.raises(RosterError, match="不是有效的 Excel 文件"):
        parse_roster(tiny_png(), "名册.xlsx")


def test_a_legacy_xls_file_is_refused_with_advice():
    with pytest.raises(RosterError, match=r"\.xls"):
        parse_roster(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(512), "名册.xls")


@pytest.mark.parametrize("cut", [100, 1000, -100], ids=["head", "middle", "tail"])
def test_a_truncated_xlsx_is_refused(cut):
    data = xlsx_bytes([HEADER, GOOD])
    with pytest.raises(RosterError, match="无法读取 Excel 文件"):
        parse_roster(data[:cut], "名册.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "楼号,室号,姓名,身份")
    with pytest.raises(RosterError, match="无法读取 Excel 文件"):
        parse_roster(buffer.getvalue(), "名册.xlsx")


def test_a_zip_bomb_is_refused_before_it_is_opened():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as entry:
            for _ in range(60):
                entry.write(bytes(1024 * 1024))
    assert len(buffer.getvalue()) < MAX_ROSTER_BYTES
    with pytest.raises(RosterError, match="解压后过大"):
        parse_roster(buffer.getvalue(), "名册.xlsx")


@pytest.mark.parametrize(
    ("header", "missing"),
    [
        (["楼号", "室号", "姓名"], "身份"),
        (["姓名", "手机号"], "楼号、室号、身份"),
        (["building", "name"], "室号、身份"),
    ],
)
def test_missing_required_columns_are_named(header, missing):
    with pytest.raises(RosterError, match=f"缺少必需的列：{missing}"):
        parse_roster(csv_bytes([header, GOOD[: len(header)]]), "名册.csv")


@pytest.mark.parametrize("xlsx", [False, True], ids=["csv", "xlsx"])
def test_a_file_without_any_header_is_refused(xlsx):
    table = [["XX居民区名册"], ["12", "301", "张三", "业主"]]
    with pytest.raises(RosterError, match="未找到表头"):
        parse_roster(xlsx_bytes(table) if xlsx else csv_bytes(table), "名册")


def test_roster_error_is_a_value_error():
    assert issubclass(RosterError, ValueError)


# ------------------------------------------------------------------------------------------- properties

VALID_XLSX = xlsx_bytes([HEADER, GOOD, ["12", "302", "李四", "租户", "", "1990", "13900139000"]])


@st.composite
def damaged_workbooks(draw) -> bytes:
    data = bytearray(VALID_XLSX)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data)


anything = st.one_of(
    st.binary(max_size=2000),
    st.binary(max_size=2000).map(lambda tail: b"PK\x03\x04" + tail),
    st.text(max_size=500).map(lambda text: text.encode("utf-8")),
    st.lists(st.lists(st.text(max_size=12), max_size=8), max_size=12).map(
        lambda rows: csv_bytes([HEADER, *rows])
    ),
    damaged_workbooks(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=anything, filename=st.sampled_from(["名册.csv", "名册.xlsx", "名册.xls", "upload", ""]))
def test_arbitrary_bytes_give_a_report_or_a_roster_error_and_nothing_else(data, filename):
    try:
        report = parse_roster(data, filename)
    except RosterError as error:
        assert str(error)
    else:
        assert report.total_lines >= len(report.rows) + report.duplicates


BUILDING_STYLES = ["{}号楼", "{}幢", "{}栋", "{}", "{}号"]
TENURES = {
    "业主": "owner",
    "产权人": "owner",
    "租户": "tenant",
    "租客": "tenant",
    "家属": "family",
    "同住人": "family",
}
SURNAMES_AND_GIVEN_NAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗明华伟芳秀英"
WIDE = str.maketrans("0123456789.", "０１２３４５６７８９．")


@st.composite
def residents(draw) -> tuple[list[object], tuple]:
    """One resident as cells written in some messy way, and the values parse_roster should give back."""
    building = draw(st.integers(1, 99))
    room = draw(st.integers(101, 3399))
    name = draw(st.text(alphabet=SURNAMES_AND_GIVEN_NAMES, min_size=2, max_size=4))
    tenure_written = draw(st.sampled_from(sorted(TENURES)))
    area = draw(st.none() | st.decimals(min_value=1, max_value=9999, places=2))
    # Read at each draw: a year read before the parser reads its own is never past the parser's.
    birth_year = draw(st.none() | st.integers(1900, roster.this_year()))
    phone = draw(st.none() | st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True))

    wide = draw(st.booleans())
    cells: list[object] = [
        draw(st.sampled_from(BUILDING_STYLES)).format(building),
        draw(st.sampled_from(["{}", "{}室", "{} 室"])).format(room),
        f" {name} " if draw(st.booleans()) else name,
        tenure_written,
        "" if area is None else (f"{area}㎡".translate(WIDE) if wide else f"{area}平方米"),
        "" if birth_year is None else draw(st.sampled_from(["{}", "{}年", "{}-01-01"])).format(birth_year),
        "" if phone is None else draw(st.sampled_from([phone, f"+86 {phone}", f"{phone[:3]}-{phone[3:]}"])),
    ]
    tenure = TENURES[tenure_written]
    area = area if tenure == "owner" else None  # the area of a tenant or family member is ignored
    return cells, (f"{building}号楼", str(room), name, tenure, area, birth_year, phone)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    people=st.lists(residents(), min_size=1, max_size=15, unique_by=lambda person: person[1][:2]),
    form=st.sampled_from(["utf-8", "utf-8-sig", "gbk", "xlsx"]),
)
def test_valid_rows_come_back_with_their_values(people, form):
    table = [HEADER, *(cells for cells, _ in people)]
    data = xlsx_bytes(table) if form == "xlsx" else csv_bytes(table, encoding=form)
    report = parse_roster(data, "名册")
    assert report.problems == ()
    assert [values_of(row) for row in report.rows] == [expected for _, expected in people]
    assert [row.line for row in report.rows] == list(range(2, len(people) + 2))
