"""Uploads: checked by content, size-limited, bombs refused, stored under random names outside
static/, served after an access check (ASVS V5)."""

from __future__ import annotations

import io
import re
import struct
import zipfile
import zlib
from pathlib import Path

import pytest
from openpyxl import Workbook

from deliberation.accounts.roster import MAX_ROSTER_BYTES, RosterError, parse_roster
from deliberation.consultations import pictures
from deliberation.errors import Invalid
from tests.security.conftest import png_bytes

ROOT = Path(__file__).resolve().parents[2]


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that declares a huge canvas in a few bytes: a decompression bomb."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


@pytest.mark.parametrize(("data", "name"), [
    (b"<html><script>alert(1)</script></html>", "photo.jpg"),
    (b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>', "design.png"),
    (b"GIF89a" + b"\0" * 100, "anim.gif"),
    (b"%PDF-1.4 fake", "scan.png"),
    (b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "broken.png"),
    (b"", "empty.png"),
])
def test_pictures_are_checked_by_their_content_not_their_name(app, data, name):
    with pytest.raises(Invalid):
        pictures.clean_picture(data, name)


def test_a_decompression_bomb_is_refused_without_decoding_it(app):
    with pytest.raises(Invalid, match="像素过多"):
        pictures.clean_picture(_png_header_only(40000, 40000), "bomb.png")


def test_an_oversized_picture_is_refused(app):
    with pytest.raises(Invalid, match="8 MB"):
        pictures.clean_picture(png_bytes() + b"\0" * pictures.MAX_BYTES, "huge.png")


def test_a_picture_is_re_encoded_and_stored_under_a_random_name_outside_static(app, upload_folder):
    clean = pictures.clean_picture(png_bytes() + b"trailing <script>alert(1)</script>", "../../../static/x.png")
    assert b"<script>" not in clean.data  # re-encoded: nothing appended survives
    names = {pictures.store(clean) for _i in range(3)}
    assert len(names) == 3
    for name in names:
        assert re.fullmatch(r"[0-9a-f]{32}\.png", name)
        path = upload_folder / name
        assert path.is_file()
        assert ROOT / "static" not in path.resolve().parents


def test_pictures_are_served_as_images_after_an_access_check(world, clients):
    picture = world.obj("A", "picture")
    client, _headers = clients["res_a"]
    response = client.get(f"/pictures/{picture}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "attachment" not in response.headers.get("Content-Disposition", "")  # shown as an image
    assert "private" in response.headers["Cache-Control"]
    assert clients["res_b"][0].get(f"/pictures/{picture}").status_code == 404
    assert clients["anonymous"][0].get(f"/pictures/{picture}").status_code == 302


def _xlsx(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_roster_is_decoded_by_content(app):
    good = _xlsx([["楼栋", "房号", "姓名", "身份"], ["1号楼", "101", "张三", "业主"]])
    assert parse_roster(good, "名册.xlsx").valid
    for data, name in ((b"\x89PNG\r\n\x1a\nnot a sheet", "名册.xlsx"), (b"PK\x03\x04broken zip", "名册.xlsx"),
                       (png_bytes(), "名册.csv")):
        with pytest.raises(RosterError):
            parse_roster(data, name)


def test_a_roster_zip_bomb_is_refused(app):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", "<" + "a" * (200 * 1024 * 1024) + ">")
    data = out.getvalue()
    assert len(data) < 1024 * 1024  # small on the wire
    with pytest.raises(RosterError, match="过大"):
        parse_roster(data, "名册.xlsx")


def test_an_oversized_roster_is_refused_through_the_page(world, clients):
    client, _headers = clients["mod_a"]
    data = b"\xef\xbb\xbf" + "楼栋,房号,姓名,身份\n".encode() + b"1,101,x,owner\n" * (MAX_ROSTER_BYTES // 14 + 10)
    assert len(data) > MAX_ROSTER_BYTES
    # The multipart body built here: the test client would spool a large one to a temporary file
    # that it never closes.
    boundary = "----security-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"roster.csv\"\r\n"
            f"Content-Type: text/csv\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    response = client.post(f"/communities/{world.obj('A', 'community')}/roster/import", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code in (413, 422)
