"""Validation messages a person understands (MIIT 2021 适老化): WTForms' own defaults read plainly on every
page, in the reader's language, and the page's lang follows that language."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import wtforms

from deliberation.forms import _PLAIN

# Words of WTForms' own Chinese catalogue and its English: what a person must never be shown.
JARGON = ("字段", "该字段", "无效的", "不是有效的", "Field must", "This field", "Not a valid")


def test_every_plain_message_replaces_a_message_wtforms_really_sends():
    pot = (Path(wtforms.__file__).parent / "locale" / "wtforms.pot").read_text(encoding="utf-8")
    sent = set(re.findall(r'^msgid "(.+)"$', pot, flags=re.M))
    assert set(_PLAIN) <= sent, set(_PLAIN) - sent


@pytest.mark.parametrize(("lang", "data", "expected"), [
    pytest.param("zh_Hans", {"code": "AAAA-BBBB", "username": "王", "password": "x" * 8, "confirm": "x" * 8},
                 "请填写 2 到 50 个字", id="a_name_too_short"),
    pytest.param("zh_Hans", {"code": "AAAA-BBBB", "username": "wang", "password": "short", "confirm": "short"},
                 "请填写 8 到 200 个字", id="a_password_too_short"),
    pytest.param("en", {"code": "AAAA-BBBB", "username": "王", "password": "x" * 8, "confirm": "x" * 8},
                 "Enter 2 to 50 characters", id="in_english"),
])
def test_registration_says_plainly_what_to_type_and_keeps_it(client, lang, data, expected):
    client.post("/preferences/language", data={"lang": lang})
    response = client.post("/register", data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert expected in page
    assert not [word for word in JARGON if word in page]
    assert f'value="{data["username"]}"' in page and 'value="AAAA-BBBB"' in page
    assert f'<html lang="{"en" if lang == "en" else "zh-Hans"}"' in page


def test_a_number_where_a_number_belongs(client, login, community, secretary):
    login("shuji")
    response = client.post(f"/communities/{community.id}/rooms/new",
                           data={"name": "活动室", "capacity": "十二", "noise": "normal", "booker": "residents"})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "请填写整数，例如 12" in page and 'value="十二"' in page
    assert not [word for word in JARGON if word in page]


@pytest.mark.parametrize(("referrer", "linked"), [
    pytest.param("http://localhost/communities", True, id="from_our_own_page"),
    pytest.param("https://evil.example/", False, id="never_to_another_site"),
    pytest.param(None, False, id="without_a_referrer"),
])
def test_an_error_page_offers_the_way_back_to_the_page_it_came_from(client, login, secretary, referrer, linked):
    login("shuji")
    headers = {"Referer": referrer} if referrer else {}
    response = client.get("/communities/987654", headers=headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 404
    assert ("返回上一页" in page) is linked
    assert (f'href="{referrer}"' in page) is linked
    assert "返回首页" in page
