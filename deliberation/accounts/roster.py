"""Read a residents' roster (名册) uploaded as CSV or XLSX and report on it, row by row.

Moderators import the roster of their neighbourhood from spreadsheets typed by hand, so the input is messy:
title rows above the header, full-width digits, ``12幢`` next to ``12号楼``, GBK-encoded CSV from Excel on
Chinese Windows, rooms stored as the number ``301.0``. This module turns the bytes of such a file into clean
:class:`RosterRow` objects plus a :class:`RosterProblem` for each bad cell, with messages in Chinese naming
the row number as the user sees it in Excel. It never touches the database: another service writes the rows.

A file that cannot be used at all (too big, not a spreadsheet, no header…) raises :class:`RosterError`;
a bad row never raises, it is reported.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import math
import re
import unicodedata
import warnings
import zipfile
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

__all__ = [
    "MAX_ROSTER_BYTES",
    "RosterError",
    "RosterProblem",
    "RosterReport",
    "RosterRow",
    "parse_roster",
]

MAX_ROSTER_BYTES = 5 * 1024 * 1024
# An XLSX file is a ZIP archive: a few kilobytes can inflate to gigabytes. A real roster is far below this.
MAX_UNCOMPRESSED_BYTES = 50 * 1024 * 1024
MAX_ZIP_ENTRIES = 1_000
# Even a large neighbourhood has a few thousand households; the caps keep memory bounded on hostile files.
MAX_ROWS = 50_000
MAX_COLUMNS = 100
HEADER_SCAN_ROWS = 10
MAX_NAME_LENGTH = 50
MAX_AREA = Decimal(10_000)
MIN_BIRTH_YEAR = 1900

_CENT = Decimal("0.01")


# --------------------------------------------------------------------------------------------------- results


@dataclass(frozen=True)
class RosterRow:
    """One resident of one unit, validated and normalised."""

    line: int  # the row number as the user sees it in Excel (header is row 1)
    building: str  # "12号楼" for 12号楼 / 12幢 / 12栋 / 12 / １２号; other names ("A座") as written
    room: str  # "301" for 301室 / ３０１ / 301.0
    name: str  # stripped, inner whitespace collapsed
    tenure: str  # "owner" | "tenant" | "family"
    area: Decimal | None  # registered area in m², two decimals; owners only
    birth_year: int | None
    phone: str | None  # 11 digits, mainland mobile
    staircase: str = ""  # "2单元" for 2 / 2单元 / 二单元 / ２; other names ("东单元") as written; "" if none
    developer: bool = False  # the owner is the developer (建设单位 / 开发商): its units count together as one


@dataclass(frozen=True)
class RosterProblem:
    """Something wrong with one row; ``column`` is the header as written, or None for the whole row."""

    line: int
    column: str | None
    message: str  # Chinese, starts with "第N行："


@dataclass(frozen=True)
class RosterDuplicate:
    """A row repeating an earlier one exactly: imported once, from the earlier row."""

    line: int
    same_as: int  # the earlier row's number

    @property
    def message(self) -> str:
        return f"第{self.line}行与第{self.same_as}行完全相同，只导入一次"


@dataclass(frozen=True)
class RosterReport:
    """The outcome of reading a roster: the good rows and what is wrong with the others."""

    rows: tuple[RosterRow, ...]  # valid rows only, exact duplicates removed
    problems: tuple[RosterProblem, ...]  # in row order
    total_lines: int  # data rows read, blank lines excluded
    duplicates: int  # exact repeated rows dropped
    duplicate_rows: tuple[RosterDuplicate, ...] = ()  # which rows they are, and the row each repeats

    @property
    def valid(self) -> bool:
        """True when no row has a problem."""
        return not self.problems


class RosterError(ValueError):
    """The whole file is unusable; the message (in Chinese) says why and can be shown to the moderator."""


# ---------------------------------------------------------------------------------------------- the columns

_LABELS = {
    "building": "楼号",
    "room": "室号",
    "name": "姓名",
    "tenure": "身份",
    "area": "面积",
    "birth_year": "出生年份",
    "phone": "手机号",
    "staircase": "单元",
}
_REQUIRED = ("building", "room", "name", "tenure")

# Written in the form _header_key() produces: lower case, no spaces, underscores or hyphens.
_HEADER_SYNONYMS = {
    "building": ("楼号", "楼栋", "楼栋号", "楼", "幢号", "幢", "栋号", "栋", "building"),
    "room": ("室号", "房号", "房间号", "门牌号", "室", "room", "unit"),
    "name": ("姓名", "name"),
    "tenure": ("身份", "类别", "居住类型", "tenure", "role"),
    "area": ("产权面积", "面积", "建筑面积", "area"),
    "birth_year": ("出生年份", "出生年", "birthyear"),
    "phone": ("手机号", "手机号码", "手机", "电话", "联系电话", "phone", "mobile"),
    "staircase": ("单元", "单元号", "楼梯", "梯号", "staircase", "entrance"),
}
_HEADER_LOOKUP = {synonym: name for name, synonyms in _HEADER_SYNONYMS.items() for synonym in synonyms}

_TENURES = {
    "业主": "owner",
    "产权人": "owner",
    "owner": "owner",
    "租户": "tenant",
    "租客": "tenant",
    "承租人": "tenant",
    "tenant": "tenant",
    "renter": "tenant",
    "家属": "family",
    "家庭成员": "family",
    "同住人": "family",
    "family": "family",
    # The developer holding units not sold or not delivered yet: an owner, marked as the developer.
    "建设单位": "owner",
    "开发商": "owner",
    "开发企业": "owner",
    "developer": "owner",
}
_DEVELOPER_WORDS = ("建设单位", "开发商", "开发企业", "developer")
_TENURE_LABELS = {"owner": "业主", "tenant": "租户", "family": "家属"}


# ------------------------------------------------------------------------------------------- the entry point


def parse_roster(data: bytes, filename: str) -> RosterReport:
    """Read the bytes of an uploaded roster and report on every row.

    The format is decided by content, not by ``filename``: a ZIP archive is read as XLSX (first worksheet,
    cached values rather than formulas), anything else must decode as CSV text (UTF-8 with or without BOM,
    GBK/GB18030, or UTF-16 with BOM). The name only sharpens error messages. The header may sit anywhere in
    the first ten non-blank rows, below a title such as "XX居民区名册".

    Raises :class:`RosterError` (message in Chinese) when the file as a whole is unusable: too big, binary
    junk, a damaged or oversized XLSX, no header, or required columns missing. Problems with single rows
    are returned in the report instead.
    """
    if len(data) > MAX_ROSTER_BYTES:
        raise RosterError(f"文件过大：名册文件不能超过 {MAX_ROSTER_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise RosterError("文件是空的，请上传填写好的名册")
    table = _read_xlsx(data) if data.startswith(b"PK\x03\x04") else _read_csv(data, filename)
    header = _find_header(table)
    if header is None:
        raise RosterError("未找到表头：请确认前10行中有一行列名，例如“楼号、室号、姓名、身份”")
    if header.missing:
        names = "、".join(_LABELS[name] for name in header.missing)
        raise RosterError(f"名册缺少必需的列：{names}（第{header.line}行是表头）")
    return _build_report(table[header.position + 1 :], header)


# ------------------------------------------------------------------------------------------ reading the file

# A table is the non-blank rows of the file, each with its row number as Excel shows it.
_Table = list[tuple[int, Sequence[object]]]

_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and WPS .et) files
# Control characters never appear in a text table; their presence means the bytes are not text.
_BINARY_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def _read_xlsx(data: bytes) -> _Table:
    """Return the rows of the first worksheet, after making sure the archive is neither damaged nor a bomb."""
    damaged = "无法读取 Excel 文件：文件可能已损坏，请在 Excel 中重新保存为 .xlsx 后再上传"
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            entries = archive.infolist()
    except Exception as exc:  # zipfile raises several kinds of error on garbage; all mean the same here
        raise RosterError(damaged) from exc
    # zipfile never inflates an entry past its declared size, so checking the declarations is enough.
    if len(entries) > MAX_ZIP_ENTRIES or sum(entry.file_size for entry in entries) > MAX_UNCOMPRESSED_BYTES:
        raise RosterError("Excel 文件解压后过大，不像是名册，请检查文件")

    import openpyxl  # here, not at import: ~12 MB that a web worker needs only for a roster upload

    table: _Table = []
    try:
        with warnings.catch_warnings():
            # openpyxl warns about features it drops (default styles, data validation, conditional
            # formats…); only cell values matter here, so those warnings are noise. (The filter is
            # process-wide while it lasts, which at worst hides the same openpyxl noise in another thread.)
            warnings.filterwarnings("ignore", category=UserWarning, module=r"openpyxl(\.|$)")
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not workbook.worksheets:
                    raise RosterError("Excel 文件中没有工作表")
                sheet = workbook.worksheets[0]
                # Some programs write a wrong <dimension>; without a reset the sheet would be cut short.
                sheet.reset_dimensions()
                rows = sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True)
                _collect(table, enumerate(rows, start=1))
            finally:
                workbook.close()
    except RosterError:
        raise
    except Exception as exc:  # openpyxl fails in many ways on damaged archives (KeyError, XML errors…)
        raise RosterError(damaged) from exc
    return table


def _read_csv(data: bytes, filename: str) -> _Table:
    """Decode CSV bytes and return their rows, choosing the delimiter under which a header is found."""
    text = _decode(data, filename)
    candidates = list(dict.fromkeys([_sniff_delimiter(text), ",", "\t", ";"]))
    chosen, best = ",", None
    for delimiter in candidates:
        header = _find_header(_csv_table(text, delimiter, limit=HEADER_SCAN_ROWS))
        if header is not None and not header.missing:
            chosen = delimiter
            break
        if header is not None and (best is None or header.score > best.score):
            chosen, best = delimiter, header
    return _csv_table(text, chosen)


def _decode(data: bytes, filename: str) -> str:
    """Decode CSV bytes, refusing anything that is not text."""
    old_excel = "不支持旧版 Excel（.xls）文件，请在 Excel 中另存为 .xlsx 或 CSV 后再上传"
    if data.startswith(_OLE_MAGIC):
        raise RosterError(old_excel)
    # The name alone decides nothing (some systems export text tables named .xls), but it tells what the
    # moderator believes they are uploading, which makes for a better message when the content is junk.
    suffix = filename.lower().rpartition(".")[2] if "." in filename else ""
    if suffix in ("xls", "et"):
        not_readable = old_excel
    elif suffix in ("xlsx", "xlsm"):
        not_readable = "文件扩展名是 .xlsx，但内容不是有效的 Excel 文件"
    else:
        not_readable = "无法识别文件内容：请上传 CSV 或 Excel（.xlsx）格式的名册"

    # Excel saves "CSV UTF-8" with a BOM, plain "CSV" in GBK on Chinese Windows, "Unicode text" in UTF-16.
    # GB18030 is a superset of GBK and is tried last: valid UTF-8 is almost never meaningful GBK.
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encodings: tuple[str, ...] = ("utf-16",)
    else:
        encodings = ("utf-8-sig", "gb18030")
    for encoding in encodings:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if _BINARY_CHARS.search(text):
            break
        return text
    raise RosterError(not_readable)


def _sniff_delimiter(text: str) -> str:
    """Guess the delimiter from the start of the text; comma when the sniffer cannot tell."""
    sample = text[:8192]
    if "\n" in sample:
        sample = sample[: sample.rindex("\n")]  # a cut-off last line would mislead the sniffer
    try:
        return csv.Sniffer().sniff(sample, delimiters=",\t;").delimiter
    except csv.Error:
        return ","


def _csv_table(text: str, delimiter: str, limit: int | None = None) -> _Table:
    """Split CSV text into non-blank rows; each record is one Excel row even if a quoted cell spans lines."""
    table: _Table = []
    records = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        _collect(table, enumerate(records, start=1), limit)
    except csv.Error as exc:
        raise RosterError("CSV 文件格式有误，无法读取，请在 Excel 中重新保存后再上传") from exc
    return table


def _collect(table: _Table, rows: Iterable[tuple[int, Sequence[object]]], limit: int | None = None) -> None:
    """Append the non-blank rows to ``table``, up to ``limit`` rows, refusing files with too many rows."""
    for line, cells in rows:
        # Testing for None first is much faster: a worksheet row is padded with None up to MAX_COLUMNS.
        if not any(_text(cell) for cell in cells if cell is not None):
            continue
        table.append((line, cells))
        if limit is not None and len(table) >= limit:
            return
        if len(table) > MAX_ROWS:
            raise RosterError(f"名册行数过多：一次最多导入 {MAX_ROWS} 行，请分批导入")


# --------------------------------------------------------------------------------------------- the header


@dataclass
class _Header:
    position: int  # index of the header row in the table
    line: int
    # field name → (index of its cell, the header as written in the file)
    columns: dict[str, tuple[int, str]] = field(default_factory=dict)

    @property
    def missing(self) -> list[str]:
        return [name for name in _REQUIRED if name not in self.columns]

    @property
    def score(self) -> tuple[int, int]:
        return len(_REQUIRED) - len(self.missing), len(self.columns)


def _find_header(table: _Table) -> _Header | None:
    """Return the first row naming every required column, else the row naming most columns, else None."""
    best = None
    for position, (line, cells) in enumerate(table[:HEADER_SCAN_ROWS]):
        header = _Header(position, line)
        for index, cell in enumerate(cells):
            name = _HEADER_LOOKUP.get(_header_key(cell))
            if name is not None and name not in header.columns:  # first of two like columns wins
                header.columns[name] = (index, _text(cell))
        if not header.missing:
            return header
        if header.columns and (best is None or header.score > best.score):
            best = header
    return best


def _header_key(cell: object) -> str:
    """A header as a comparable key: " 手机号（选填）" gives "手机号", "Birth_Year*" gives "birthyear"."""
    key = unicodedata.normalize("NFKC", _text(cell)).lower()
    key = re.sub(r"\(.*?\)|\[.*?\]", "", key)  # units and hints such as "面积(㎡)" or "电话（选填）"
    return re.sub(r"[\s_\-*:]", "", key)


# ----------------------------------------------------------------------------------------------- the rows


class _Bad(Exception):
    """A cell cannot be accepted; the detail is the Chinese message without the row number."""


def _build_report(data_rows: _Table, header: _Header) -> RosterReport:
    """Validate the rows under the header, drop exact duplicates and flag conflicting entries."""
    problems: list[RosterProblem] = []
    parsed: list[RosterRow] = []
    total = 0
    for line, cells in data_rows:
        values = {
            name: cells[index] if index < len(cells) else None for name, (index, _) in header.columns.items()
        }
        if all(_text(value) == "" for value in values.values()):
            continue  # only notes in columns this module does not read
        total += 1
        row, row_problems = _parse_row(line, values, header)
        problems.extend(row_problems)
        if row is not None:
            parsed.append(row)

    unique: dict[RosterRow, RosterRow] = {}
    repeated: list[RosterDuplicate] = []
    for row in parsed:
        first = unique.setdefault(replace(row, line=0), row)
        if first is not row:
            repeated.append(RosterDuplicate(row.line, first.line))
    duplicates = len(repeated)

    # The same person (name and phone) twice in one unit, with different details, is a conflict the
    # moderator has to settle: neither row is imported. The same person in several units is fine.
    households: defaultdict[tuple[str, str, str, str | None], list[RosterRow]] = defaultdict(list)
    for row in unique.values():
        households[row.building, row.room, row.name, row.phone].append(row)
    rows = []
    for row in unique.values():
        entries = households[row.building, row.room, row.name, row.phone]
        if len(entries) == 1:
            rows.append(row)
        else:
            problems.append(RosterProblem(row.line, None, _conflict_message(row, entries)))

    problems.sort(key=lambda problem: problem.line)  # stable: a row's problems keep their column order
    return RosterReport(tuple(rows), tuple(problems), total, duplicates, tuple(repeated))


def _parse_row(
    line: int, values: dict[str, object], header: _Header
) -> tuple[RosterRow | None, list[RosterProblem]]:
    """Parse one row's cells; return the row, or None with at least one problem."""
    problems: list[RosterProblem] = []
    result: dict[str, object] = {}

    def take(name: str, parse: Callable[[object], object]) -> None:
        if name not in header.columns:
            result[name] = None  # an optional column the file does not have
            return
        try:
            result[name] = parse(values[name])
        except _Bad as bad:
            problems.append(RosterProblem(line, header.columns[name][1], f"第{line}行：{bad}"))

    take("building", _parse_building)
    take("room", _parse_room)
    take("name", _parse_name)
    take("tenure", _parse_tenure)
    if result.get("tenure") == "owner":
        take("area", _parse_area)
    else:
        result["area"] = None  # only owners have a registered area; any other value is ignored
    take("birth_year", _parse_birth_year)
    take("phone", _parse_phone)
    take("staircase", _parse_staircase)
    result["staircase"] = result.get("staircase") or ""
    result["developer"] = _compact(values.get("tenure")).lower() in _DEVELOPER_WORDS

    if problems:
        return None, problems
    return RosterRow(line=line, **result), []  # type: ignore[arg-type]


def _conflict_message(row: RosterRow, entries: list[RosterRow]) -> str:
    who = f"{row.name}（{row.phone}）" if row.phone else row.name
    where = f"{row.building}{row.room}室" if row.room.isdigit() else f"{row.building}{row.room}"
    if len({entry.tenure for entry in entries}) > 1:
        roles = "，".join(f"第{entry.line}行为{_TENURE_LABELS[entry.tenure]}" for entry in entries)
        return f"第{row.line}行：{who}在{where}登记了不同的身份（{roles}），请只保留一行"
    lines = "、".join(str(entry.line) for entry in entries)
    return f"第{row.line}行：{who}在{where}重复登记且信息不一致（见第{lines}行），请只保留一行"


# ---------------------------------------------------------------------------------------------- the cells

# Invisible characters that sneak in when cells are pasted from web pages or chat apps.
_INVISIBLE = re.compile("[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff]")
# Full-width ASCII (Ａ, １, ．) to ASCII, leaving Chinese characters alone.
_WIDE_TO_ASCII = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)}
_SPACES = re.compile(r"\s+")


def _text(value: object) -> str:
    """A cell as text: numbers without Excel's float noise, invisible characters dropped, spaces collapsed."""
    if value is None:
        return ""
    if isinstance(value, float):
        text = _float_text(value)
    elif isinstance(value, dt.datetime) and value.time() == dt.time():
        text = value.date().isoformat()
    elif isinstance(value, dt.date):
        text = value.isoformat()
    else:
        text = str(value)
    # str.split() also splits on the ideographic space U+3000 and the no-break space.
    return " ".join(_INVISIBLE.sub("", text).split())


def _float_text(value: float) -> str:
    """Excel stores every number as a double: 301 comes back as 301.0, 89.55 maybe as 89.55000000000001."""
    if not math.isfinite(value):
        return str(value)
    if value.is_integer():
        return str(int(value))
    return repr(round(value, 9))


def _compact(value: object) -> str:
    """The cell with full-width forms folded (NFKC: １２ → 12, ㎡ → m2) and every space removed."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", _text(value)))


def _shown(value: object) -> str:
    """The value as the user typed it, shortened for a message."""
    text = _text(value)
    return text if len(text) <= 30 else text[:30] + "…"


def _required(value: object, name: str) -> str:
    text = _compact(value)
    if not text:
        raise _Bad(f"缺少{_LABELS[name]}")
    return text


_BUILDING = re.compile(r"第?(\d+|[一二三四五六七八九十]{1,3})(?:号楼|号幢|号栋|号|幢|栋|楼|#楼|#)?")
_CHINESE_DIGITS = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _parse_building(value: object) -> str:
    """The building as "12号楼" from 12, 12号, 12幢, 12栋, 12#, １２号楼 or 十二号楼; A座 stays A座."""
    text = _required(value, "building")
    match = _BUILDING.fullmatch(text)
    number = _chinese_number(match[1]) if match else None
    return f"{number}号楼" if number is not None else text


def _chinese_number(text: str) -> int | None:
    """The value of a number in digits, or of 1–99 in Chinese numerals (五, 十二, 三十, 九十九); else None."""
    if text.isdigit():
        return int(text)
    match = re.fullmatch(r"([一二三四五六七八九]?)(十?)([一二三四五六七八九]?)", text)
    if not match or not text:
        return None
    first, ten, last = match.groups()
    if not ten:
        return _CHINESE_DIGITS[first] if first and not last else None  # 五 but not 五五
    return _CHINESE_DIGITS.get(first, 1) * 10 + _CHINESE_DIGITS.get(last, 0)


def _parse_staircase(value: object) -> str:
    """The staircase (单元) as "2单元" from 2, 2单元, 二单元, ２ or 2.0; "" when the cell is empty."""
    text = _text(value).translate(_WIDE_TO_ASCII).replace(" ", "")
    if text == "":
        return ""
    text = re.sub(r"\.0$", "", text)
    number = _chinese_number(re.sub(r"(?:单元|单|号)$", "", text))
    if number is not None and number > 0:
        return f"{number}单元"
    if len(text) > 20:
        raise _Bad("单元名称过长（不超过20个字）")
    return text


def _parse_room(value: object) -> str:
    """The room as "301" from 301, 301室, ３０１, "301 室" or 301.0 (a room stored as a number)."""
    text = _required(value, "room")
    text = re.sub(r"(?:室|号房|号|房)$", "", text)
    if not text:
        raise _Bad(f"缺少{_LABELS['room']}")
    whole = re.fullmatch(r"(\d+)\.0+", text)
    return whole[1] if whole else text


def _parse_name(value: object) -> str:
    """The name with spaces collapsed and full-width Latin letters folded; Chinese characters untouched."""
    # Not NFKC: it would also rewrite compatibility ideographs some people use in their names.
    name = _text(value).translate(_WIDE_TO_ASCII)
    if not name:
        raise _Bad(f"缺少{_LABELS['name']}")
    if len(name) > MAX_NAME_LENGTH:
        raise _Bad(f"姓名“{_shown(value)}”超过{MAX_NAME_LENGTH}个字符")
    return name


def _parse_tenure(value: object) -> str:
    """The tenure as "owner", "tenant" or "family" from 业主, 租户, 家属, their synonyms or English; the
    developer (建设单位, 开发商) is an owner, marked as such by _parse_row."""
    tenure = _TENURES.get(_required(value, "tenure").lower())
    if tenure is None:
        raise _Bad(f"身份“{_shown(value)}”无法识别（应为 业主、租户、家属 或 建设单位）")
    return tenure


_AREA_UNIT = re.compile(r"(?:平方米|平方|平米|平|m2|sqm)$")  # NFKC has already turned ㎡ and m² into m2
_DECIMAL = re.compile(r"-?(?:\d+(?:\.\d*)?|\.\d+)")


def _parse_area(value: object) -> Decimal | None:
    """Square metres with two decimal places, from 89.5, "89.50", "89.5㎡", "89.5 平方米" or "８９．５"."""
    text = _AREA_UNIT.sub("", _compact(value).lower())
    if not text:
        return None
    if isinstance(value, float | int) and not isinstance(value, bool) and math.isfinite(value):
        area = Decimal(text)  # from _float_text, so possibly "1e-05"
    elif _DECIMAL.fullmatch(text):
        area = Decimal(text)
    else:
        raise _Bad(f"面积“{_shown(value)}”不是有效的数字")
    if area < 0:
        raise _Bad(f"面积“{_shown(value)}”不能为负数")
    if area > MAX_AREA:
        raise _Bad(f"面积“{_shown(value)}”超过{MAX_AREA}平方米，请检查")
    if area != area.quantize(_CENT):
        raise _Bad(f"面积“{_shown(value)}”最多保留两位小数")
    return area.quantize(_CENT)


# 1948, 1948年, 1948-05-02, 1948/5/2, 1948.5 and 1948年5月2日 all give 1948.
_YEAR = re.compile(r"(\d{4})(?:年|[-/.年]\d{1,2}(?:[-/.月]\d{1,2}日?|月)?)?")


def this_year() -> int:
    """The latest birth year a roster may give; read for each cell, and the one place tests pin it."""
    return dt.date.today().year


def _parse_birth_year(value: object) -> int | None:
    """The year of birth from a year, a typed date or an Excel date; between 1900 and this year."""
    if isinstance(value, dt.date):
        year = value.year
    else:
        text = _compact(value)
        if not text:
            return None
        match = _YEAR.fullmatch(text)
        if not match:
            raise _Bad(f"出生年份“{_shown(value)}”不是有效的年份")
        year = int(match[1])
    last = this_year()
    if not MIN_BIRTH_YEAR <= year <= last:
        raise _Bad(f"出生年份“{_shown(value)}”不在{MIN_BIRTH_YEAR}年至{last}年之间")
    return year


def _parse_phone(value: object) -> str | None:
    """Eleven digits starting with 1, from "138 0013 8000", "138-0013-8000" or "+86 13800138000"."""
    text = re.sub(r"[\s\-().]", "", _compact(value))
    if not text:
        return None
    match = re.fullmatch(r"(?:\+?86|0086)?(1\d{10})", text)
    if not match:
        raise _Bad(f"手机号“{_shown(value)}”不是11位手机号码")
    return match[1]
