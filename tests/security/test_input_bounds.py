"""Input that used to answer 500 answers 4xx with a clear message, on pages and the API alike
(deliberation.inputs): NUL and lone surrogates, dates outside 1900–2100, ids past the INTEGER column,
JSON nested too deep. Rows stored before the bounds still show (ASVS 5.0: 1.2.4, 2.2.1, 16.5.3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from deliberation import inputs

BIG = 2**63


def _api(world, clients, actor, method, path, body=None, raw=None):
    client, headers = clients[actor]
    path = path.format(**{name: world.obj("A", name) for name in
                          ("community", "consultation", "comment", "room", "vote", "survey", "idea", "proposal")})
    if raw is not None:
        return client.open(path, method=method, data=raw, headers={**headers, "Content-Type": "application/json"})
    return client.open(path, method=method, json=body, headers=headers)


@pytest.mark.parametrize(("actor", "method", "path", "body", "status", "words"), [
    # text the database cannot store
    ("res_a", "POST", "/api/v1/consultations/{consultation}/comments", {"body": "a\u0000b"}, 400, "空字符"),
    ("res_a", "POST", "/api/v1/consultations/{consultation}/comments", {"body": "a\ud800b"}, 400, "无法识别"),
    ("res_a", "POST", "/api/v1/communities/{community}/ideas", {"title": "x\u0000", "body": "y"}, 400, "空字符"),
    # dates whose Asia/Shanghai conversion overflows
    ("mod_a", "POST", "/api/v1/communities/{community}/consultations",
     {"title": "远未来", "closes_at": "9999-12-31T00:00:00+00:00"}, 422, "日期须在"),
    ("mod_a", "POST", "/api/v1/communities/{community}/consultations",
     {"title": "远古", "commenting_at": "0001-01-01T00:00:00+00:00"}, 422, "日期须在"),
    ("res_a", "GET", "/api/v1/rooms/{room}/availability?from=9999-12-31&to=9999-12-31", None, 422, "日期须在"),
    ("res_a", "GET", "/api/v1/rooms/{room}/availability?from=0001-01-01&to=0001-01-07", None, 422, "日期须在"),
    # ids past the INTEGER column, in bodies and parameters
    ("res_a", "POST", "/api/v1/consultations/{consultation}/comments", {"body": "回复", "parent_id": BIG}, 422,
     "数字超出范围"),
    ("res_a", "POST", "/api/v1/rooms/{room}/bookings",
     {"title": "排练", "attendance": 5, "starts_at": "2030-01-07T10:00:00+08:00",
      "ends_at": "2030-01-07T11:00:00+08:00", "team_id": BIG}, 422, "数字超出范围"),
    ("mod_a", "POST", "/api/v1/communities/{community}/consultations",
     {"title": "楼栋", "eligibility": "buildings", "building_ids": [BIG]}, 422, "数字超出范围"),
    ("mod_a", "POST", "/api/v1/votes/{vote}/paper-ballots",
     {"building_id": BIG, "entries": [{"room": "101", "choice": "1"}]}, 422, "数字超出范围"),
])
def test_the_api_refuses_unusable_input_with_a_message(world, clients, actor, method, path, body, status, words):
    response = _api(world, clients, actor, method, path, body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert words in error["message"] or any(words in m for m in error["fields"].values()), error


@pytest.mark.parametrize("depth", [inputs.MAX_JSON_DEPTH + 1, 100_000])
def test_json_nested_too_deep_is_a_400_even_before_signing_in(client, depth):
    body = "[" * depth + "]" * depth
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code == 400
    assert "嵌套太深" in response.get_json()["error"]["message"]


def test_json_as_deep_as_allowed_is_parsed_as_usual(client):
    depth = inputs.MAX_JSON_DEPTH
    body = json.dumps({"username": "nobody", "password": "x", "extra": json.loads("[" * (depth - 1) + "]" * (depth - 1))})
    response = client.post("/api/v1/auth/token", data=body, content_type="application/json")
    assert response.status_code in (401, 422)  # judged on its content, not refused for its shape


@pytest.mark.parametrize(("text", "depth"), [
    (b'{"a": [1, [2, [3]]]}', 0),                   # few brackets: not measured
    (b"[" * 40 + b"]" * 40, 40),
    (json.dumps({"s": "[" * 50}).encode(), 1),     # brackets inside a string do not count
    (json.dumps({"s": '\\"' + "{" * 50}).encode(), 1),  # nor after an escaped quote
    (json.dumps([{"s": "]"}] * 40).encode(), 2),
])
def test_json_depth_is_measured_outside_strings(text, depth):
    assert inputs.json_depth(text) == depth


@pytest.mark.parametrize(("value", "bad"), [
    (2**31 - 1, False), (2**31, True), (-(2**31), False), (-(2**31) - 1, True), (True, False),
    (datetime(1900, 1, 1, tzinfo=UTC), False), (datetime(1899, 12, 31, 23, 59, tzinfo=UTC), True),
    (datetime(2100, 12, 31, 23, 59, tzinfo=UTC), False), (datetime(2101, 1, 1, tzinfo=UTC), True),
    (datetime(9999, 12, 31), True), ("a\x00b", True), ("a\ud800b", True), ("a😀b", False), ("", False),
])
def test_the_bounds_at_their_edges(value, bad):
    assert (inputs.problem(value) is not None) is bad


# -- pages -------------------------------------------------------------------------------------

def _page(world, clients, actor, path):
    client, _headers = clients[actor]
    return client, path.format(**{name: world.obj("A", name) for name in
                                  ("community", "consultation", "comment", "room", "idea", "proposal")})


@pytest.mark.parametrize("path", [
    "/rooms/{room}?week=0001-01-01", "/rooms/{room}?week=9999-12-31", "/rooms/{room}?week=2026-02-30",
    "/communities/{community}/rooms/week?week=9999-12-31",
    "/rooms/{room}/book?date=9999-12-31",
    f"/proposals/{{proposal}}?version={BIG}", f"/proposals/{{proposal}}?diff={BIG}",
    f"/consultations/{{consultation}}?reply={BIG}&report={BIG}",
])
def test_pages_read_unusable_query_parameters_as_absent(world, clients, path):
    client, url = _page(world, clients, "mod_a", path)
    response = client.get(url)
    assert response.status_code == 200, url


@pytest.mark.parametrize(("path", "form", "status", "words"), [
    ("/consultations/{consultation}/comments", {"body": "a\x00b"}, 400, "空字符"),
    ("/communities/{community}/consultations/new", {"title": "远未来", "closes_at": "9999-12-31T10:00"}, 422,
     "日期须在"),
    ("/communities/{community}/consultations/new", {"title": "楼栋", "eligibility": "buildings",
                                                    "building_ids": str(BIG)}, 422, "数字超出范围"),
    ("/ideas/{idea}/merge", {"target_id": str(BIG)}, None, "数字超出范围"),
])
def test_forms_refuse_unusable_input_and_keep_what_was_typed(world, clients, path, form, status, words):
    client, url = _page(world, clients, "mod_a", path)
    response = client.post(url, data=form, follow_redirects=status is None)
    text = response.get_data(as_text=True)
    assert response.status_code < 500
    if status is not None:
        assert response.status_code == status
    assert words in text
    if status == 422:
        assert form["title"] in text  # what was typed is still there


def test_a_time_stored_before_the_bounds_still_shows(world, clients, session):
    from deliberation.consultations.models import Consultation

    consultation = session.get(Consultation, world.obj("A", "consultation"))
    consultation.closes_at = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)
    session.commit()
    client, url = _page(world, clients, "mod_a", "/consultations/{consultation}")
    response = client.get(url)
    assert response.status_code == 200
    assert "9999-12-31" in response.get_data(as_text=True)
    api = client.get("/api/v1/consultations/{}".format(world.obj("A", "consultation")), headers=clients["mod_a"][1])
    assert api.status_code == 200 and api.get_json()["closes_at"].startswith("9999-12-31")


# -- a close more than a few years ahead (deliberation.validation.check_planned) ----------------

def _ahead(years: float) -> datetime:
    from deliberation.db import utcnow

    return (utcnow() + timedelta(days=round(365.25 * years))).replace(second=0, microsecond=0)


@pytest.mark.parametrize(("years", "refused"), [
    pytest.param(1, False, id="next_year"),
    pytest.param(4.9, False, id="within_five_years"),
    pytest.param(5.1, True, id="past_five_years"),
    pytest.param(70, True, id="a_year_typed_wrong"),
    pytest.param(7000, True, id="9999_and_beyond"),
])
def test_a_planned_time_more_than_five_years_ahead_is_refused_naming_the_field(app, years, refused):
    from deliberation.errors import Invalid
    from deliberation.validation import MAX_YEARS_AHEAD, check_planned

    assert MAX_YEARS_AHEAD == 5
    with app.test_request_context():
        if refused:
            with pytest.raises(Invalid) as error:
                check_planned(_ahead(min(years, 7000)), "closes_at", "结束时间")
            assert "5 年" in error.value.fields["closes_at"]
        else:
            check_planned(_ahead(years), "closes_at", "结束时间")


CLOSES = [  # (what, API path, body besides the time, the time's field)
    ("vote", "/api/v1/consultations/{consultation}/votes", {"title": "远期表决"}, "closes_at"),
    ("survey", "/api/v1/communities/{community}/surveys", {"title": "远期问卷"}, "closes_at"),
    ("consultation", "/api/v1/communities/{community}/consultations", {"title": "远期议事"}, "closes_at"),
    ("phase", "/api/v1/communities/{community}/consultations", {"title": "远期表决阶段"}, "voting_at"),
    ("round", "/api/v1/consultations/{consultation}/rounds", {}, "closes_at"),
]


@pytest.mark.parametrize(("what", "path", "body", "name"), CLOSES, ids=[c[0] for c in CLOSES])
def test_the_api_refuses_a_close_six_years_ahead_with_a_422_naming_the_field(world, clients, what, path, body, name):
    if what == "vote":
        body = {**body, "proposal_id": world.obj("A", "proposal")}
    response = _api(world, clients, "mod_a", "POST", path, {**body, name: _ahead(6).isoformat()})
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert "5 年" in error["fields"][name] and "5 年" in error["message"], error


@pytest.mark.parametrize(("what", "path", "body", "name"), CLOSES[:4], ids=[c[0] for c in CLOSES[:4]])
def test_the_api_takes_a_close_four_years_ahead(world, clients, what, path, body, name):
    if what == "vote":
        body = {**body, "proposal_id": world.obj("A", "proposal")}
    response = _api(world, clients, "mod_a", "POST", path, {**body, name: _ahead(4).isoformat()})
    assert response.status_code == 201, response.get_json()


PAGE_CLOSES = [  # (what, page, form besides the time, the time's field)
    ("vote", "/consultations/{consultation}/votes/new",
     {"title": "远期表决", "kind": "proposal", "rule_name": "simple_majority", "basis": "person"}, "closes_at"),
    ("survey", "/communities/{community}/surveys/new", {"title": "远期问卷", "anonymity": "named"}, "closes_at"),
    ("consultation", "/communities/{community}/consultations/new",
     {"title": "远期议事", "eligibility": "community"}, "closes_at"),
    ("phase", "/communities/{community}/consultations/new",
     {"title": "远期表决阶段", "eligibility": "community"}, "voting_at"),
]


@pytest.mark.parametrize(("what", "path", "form", "name"), PAGE_CLOSES, ids=[c[0] for c in PAGE_CLOSES])
def test_pages_refuse_a_close_six_years_ahead_next_to_the_field_keeping_what_was_typed(
        world, clients, what, path, form, name):
    from deliberation.consultations.forms import to_local

    client, url = _page(world, clients, "mod_a", path)
    if what == "vote":
        form = {**form, "proposal_id": str(world.obj("A", "proposal"))}
    typed = to_local(_ahead(6)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data={**form, name: typed})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "不能晚于 5 年以后" in text and form["title"] in text and typed in text


def test_the_round_form_says_why_a_close_six_years_ahead_is_refused(world, clients, session):
    from deliberation.consultations.forms import to_local
    from deliberation.consultations.models import CommentRound

    client, url = _page(world, clients, "mod_a", "/consultations/{consultation}/rounds")
    rounds = session.query(CommentRound).count()
    typed = to_local(_ahead(6)).strftime("%Y-%m-%dT%H:%M")
    response = client.post(url, data={"closes_at": typed})
    assert response.status_code == 422  # the session page again, the round's form open with what was typed
    assert "截止时间不能晚于 5 年以后" in response.get_data(as_text=True)
    assert f'value="{typed}"' in response.get_data(as_text=True)
    assert session.query(CommentRound).count() == rounds


FAR = datetime(9999, 12, 31, 20, 0, tzinfo=UTC)  # 10000-01-01 04:00 in Shanghai: past what Python can hold


def test_rows_written_with_9999_12_31_by_sql_still_show_and_can_be_fixed(world, clients, session):
    """Rows stored before the bounds (or by hand): the pages and the API answer 200 and show the date; the
    edit forms open and save a sane time over it."""
    from sqlalchemy import update

    from deliberation.consultations.models import CommentRound, Consultation
    from deliberation.surveys.models import Survey
    from deliberation.voting.models import Vote

    ids = {name: world.obj("A", name) for name in ("community", "consultation", "round", "vote", "survey")}
    session.execute(update(Consultation).where(Consultation.id == ids["consultation"]).values(
        commenting_at=FAR, voting_at=FAR, closes_at=FAR))
    session.execute(update(CommentRound).where(CommentRound.id == ids["round"]).values(closes_at=FAR))
    session.execute(update(Vote).where(Vote.id == ids["vote"]).values(closes_at=FAR))
    session.execute(update(Survey).where(Survey.id == ids["survey"]).values(closes_at=FAR))
    session.commit()

    client, headers = clients["mod_a"]
    pages = ["/consultations/{consultation}", "/consultations/{consultation}/edit", "/votes/{vote}",
             "/surveys/{survey}", "/surveys/{survey}/edit", "/communities/{community}/surveys",
             "/communities/{community}/consultations", "/"]
    for page in pages:
        url = page.format(**ids)
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, url
        if "{community}" not in page and page != "/":
            assert "9999-12-31" in response.get_data(as_text=True) or "10000" in response.get_data(as_text=True), url
    for path in ("/api/v1/consultations/{consultation}", "/api/v1/votes/{vote}", "/api/v1/surveys/{survey}",
                 "/api/v1/communities/{community}/consultations", "/api/v1/consultations/{consultation}/votes"):
        response = client.get(path.format(**ids), headers=headers)
        assert response.status_code == 200, path

    # Fixed through the ordinary forms.
    response = client.post(f"/consultations/{ids['consultation']}/edit", data={
        "title": "改好的议事", "eligibility": "community", "closes_at": "2030-01-31T18:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    response = client.post(f"/surveys/{ids['survey']}/edit", data={
        "title": "改好的问卷", "anonymity": "named", "closes_at": "2030-01-31T18:00"})
    assert response.status_code == 302, response.get_data(as_text=True)
    session.expire_all()
    assert session.get(Consultation, ids["consultation"]).closes_at.year == 2030
    assert session.get(Survey, ids["survey"]).closes_at.year == 2030
