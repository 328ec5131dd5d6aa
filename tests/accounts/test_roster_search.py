"""The roster search finds what a secretary types: a name, a phone, a room, or an address — and
"1号楼" is 1号楼, never 11号楼."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def roster(make_user, community, secretary):
    make_user("张一", community, building="1号楼", room="101")
    make_user("李二", community, building="1号楼", room="102")
    make_user("王三", community, building="11号楼", room="101")
    make_user("赵四", community, building="21号楼", room="1101")
    return community


@pytest.mark.parametrize(("q", "found"), [
    ("1号楼", {"张一", "李二"}),
    ("1号楼101", {"张一"}),
    ("1号楼 101室", {"张一"}),
    ("11号楼", {"王三"}),
    ("101", {"张一", "王三"}),        # a room, in whatever building; not 1101
    ("李二", {"李二"}),
    ("2号楼", set()),
])
def test_roster_search(client, login, roster, q, found):
    login("shuji")
    page = client.get(f"/communities/{roster.id}/roster", query_string={"q": q}).get_data(as_text=True)
    body = page.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in page else ""
    assert {name for name in ("张一", "李二", "王三", "赵四") if re.search(name, body)} == found
